//! Positions as the protocol counts them (lines, UTF-16 code units) and
//! byte offsets as the compiler does, and the small textual reads the
//! server makes around the cursor.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// The byte offset of a position, clamped to the text (a position past the
/// end of a line is the line's end).
pub fn offset(text: &str, position: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return line_start + i;
        }
        units += c.len_utf16();
    }
    line_end
}

/// The position of a byte offset (clamped to the text and to a character
/// boundary).
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    Position::new(line as u32, character as u32)
}

pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range::new(position(text, start), position(text, end))
}

/// Applies an edit sent by the client: a range replaced, or the whole text.
pub fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        Some(range) => {
            let start = offset(text, range.start);
            let end = offset(text, range.end).max(start);
            text.replace_range(start..end, &change.text);
        }
        None => *text = change.text,
    }
}

pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The name (letters, digits, `_`) around `offset`: its start and end.
pub fn word_at(text: &str, offset: usize) -> Option<(usize, usize)> {
    let offset = offset.min(text.len());
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_name_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_name_char(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start < end).then_some((start, end))
}

/// Where an offset of `new` was in `old`, when it lies outside the part
/// that changed (the longest common prefix and suffix): how a request on a
/// half-written file reads the last analysis of the text that parsed.
pub fn map_offset(old: &str, new: &str, offset: usize) -> Option<usize> {
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    if offset <= prefix {
        return Some(offset);
    }
    let suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take_while(|(a, b)| a == b)
        .count()
        .min(old.len().min(new.len()) - prefix);
    let from_end = new.len().checked_sub(offset)?;
    (from_end <= suffix).then(|| old.len() - from_end)
}

/// The reverse of [`map_offset`]: where an offset of `old` is in `new`.
pub fn map_back(old: &str, new: &str, offset: usize) -> Option<usize> {
    map_offset(new, old, offset)
}

/// The byte offset of the `{` that opens the innermost block around
/// `offset`, skipping strings and comments roughly (enough for a line
/// being typed).
pub fn enclosing_brace(text: &str, offset: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut opens: Vec<usize> = Vec::new();
    let mut i = 0;
    let end = offset.min(bytes.len());
    while i < end {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < end && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => opens.push(i),
            b'}' | b']' | b')' => {
                opens.pop();
            }
            _ => {}
        }
        i += 1;
    }
    opens.into_iter().rev().find(|&i| bytes[i] == b'{')
}

/// The `{`s open at `offset`, outermost first (same rough scan as
/// [`enclosing_brace`]).
pub fn open_braces(text: &str, offset: usize) -> Vec<usize> {
    let mut found = Vec::new();
    let mut at = offset;
    while let Some(open) = enclosing_brace(text, at) {
        found.push(open);
        at = open;
    }
    found.reverse();
    found
}

/// The end of the block opened at `open` (the offset of its `}`), or the
/// end of the text when it is not closed.
pub fn block_end(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => depth += 1,
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The keys set at the top level of the block opened at `open`
/// (`name = ...` at the start of a line).
pub fn keys_in_block(text: &str, open: usize) -> Vec<String> {
    let end = block_end(text, open);
    let body = &text[open + 1..end.max(open + 1)];
    let mut keys = Vec::new();
    let mut depth = 0i32;
    for line in body.lines() {
        let trimmed = line.trim_start();
        if depth == 0
            && let Some((key, _)) = trimmed.split_once('=')
        {
            let key = key.trim().trim_matches('"');
            if !key.is_empty() && key.chars().all(|c| is_name_char(c) || c == '-') {
                keys.push(key.to_string());
            }
        }
        for c in line.chars() {
            match c {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => depth -= 1,
                _ => {}
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a\né𝄞x\n";
        let p = position(text, text.find('x').unwrap());
        assert_eq!(p, Position::new(1, 3));
        assert_eq!(offset(text, p), text.find('x').unwrap());
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn offsets_outside_the_change_map_to_the_old_text() {
        let old = "let a = 1\nlet b = 2\n";
        let new = "let a = 1\nlet b = \nlet c = 3\n";
        assert_eq!(map_offset(old, new, 4), Some(4));
        assert_eq!(map_offset(old, new, new.len() - 1), Some(old.len() - 1));
        assert_eq!(map_offset(old, new, new.find("c =").unwrap()), None);
    }

    #[test]
    fn the_innermost_open_block_and_its_keys() {
        let text = "resource a: T {\n  x = 1\n  y = { z = 2 }\n  \n}\n";
        let cursor = text.find("  \n}").unwrap() + 2;
        let open = enclosing_brace(text, cursor).unwrap();
        assert_eq!(open, text.find('{').unwrap());
        assert_eq!(keys_in_block(text, open), ["x", "y"]);
    }
}
