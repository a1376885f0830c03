//! A lexical pre-pass run before pest.
//!
//! pest recurses once per nesting level and reports an unterminated string as
//! a confusing "expected" error far from its start. This scan finds both
//! cheaply and stops the parse before either can happen.

use crate::source::{FileId, Span};

/// Brackets, braces and interpolations nested deeper than this are refused.
pub const MAX_NESTING: usize = 128;

#[derive(Debug, PartialEq, Eq)]
pub enum ScanError {
    /// An unterminated string; `true` for a `"""` string.
    UnterminatedString(Span, bool),
    UnterminatedComment(Span),
    TooDeep(Span),
}

enum Frame {
    /// A bracket in code: `(`, `[` or `{`.
    Bracket,
    /// `${` inside a string; returns to that string at the matching `}`.
    Interp {
        multiline: bool,
        string_start: usize,
    },
}

/// Words that start a declaration at the top level.
pub(super) const DECLARATION_WORDS: &[&[u8]] = &[
    b"import",
    b"param",
    b"let",
    b"resource",
    b"existing",
    b"output",
    b"component",
    b"native",
    b"type",
    b"stateless",
    b"persistent",
    b"volatile",
];

/// Scans `text` for unterminated strings and comments and excessive nesting,
/// and returns where top-level declarations start: at column 0, outside any
/// bracket, string or comment, a declaration keyword followed by a space.
/// Parsing the file chunk by chunk keeps pest's memory small.
pub fn scan(file: FileId, text: &str) -> Result<Vec<usize>, ScanError> {
    let mut starts = vec![0];
    match lex(file, text, 0, Some(&mut starts)) {
        Some(Lexed::Error(error)) => Err(error),
        _ => Ok(starts),
    }
}

/// Where the bracketed block opening at `open` (`{`, `(` or `[`) ends: just
/// past its closing bracket, its strings, interpolations and comments read
/// as [`scan`] reads them. `None` when it does not close, which a text
/// [`scan`] accepted always does.
pub(super) fn block_end(text: &str, open: usize) -> Option<usize> {
    match lex(FileId(0), text, open, None) {
        Some(Lexed::Closed(end)) => Some(end),
        _ => None,
    }
}

/// Where [`lex`] stopped before the end of the text.
enum Lexed {
    Error(ScanError),
    /// Just past the bracket that closed the block it started at.
    Closed(usize),
}

/// A table of which bytes are among `members`: a lookup in the scan's
/// inner loops is quicker than comparing a byte with each.
const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < members.len() {
        table[members[i] as usize] = true;
        i += 1;
    }
    table
}

/// `[A-Za-z0-9_]`: the scan's inner loop.
fn is_word_byte(b: u8) -> bool {
    const WORD: [bool; 256] =
        byte_set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    WORD[b as usize]
}

/// `"`, `/` and brackets: what can open or close a block, a string or a
/// comment ([`block_end`]'s inner loop).
fn is_block_byte(b: u8) -> bool {
    const BLOCK: [bool; 256] = byte_set(b"\"/()[]{}");
    BLOCK[b as usize]
}

fn declaration_at(bytes: &[u8], i: usize) -> bool {
    // Most lines start with an indent or a bracket.
    if !bytes[i].is_ascii_lowercase() {
        return false;
    }
    DECLARATION_WORDS.iter().any(|word| {
        bytes[i..].starts_with(word) && matches!(bytes.get(i + word.len()), Some(b' ' | b'\t'))
    })
}

/// Reads `text` from `from`. With `starts`, the whole text, noting where
/// top-level declarations start; without, the block opening at `from`,
/// stopping once it closes.
fn lex(
    file: FileId,
    text: &str,
    from: usize,
    mut starts: Option<&mut Vec<usize>>,
) -> Option<Lexed> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = from;
    // When inside a string: (is multi-line, start offset).
    let mut in_string: Option<(bool, usize)> = None;
    let mut after_state_class = false;
    while i < bytes.len() {
        if let Some((multiline, start)) = in_string {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' if multiline => {
                    if bytes[i..].starts_with(b"\"\"\"") {
                        in_string = None;
                        i += 3;
                    } else {
                        i += 1;
                    }
                }
                b'"' => {
                    in_string = None;
                    i += 1;
                }
                b'\n' if !multiline => {
                    return Some(Lexed::Error(ScanError::UnterminatedString(
                        Span::new(file, start, i),
                        false,
                    )));
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    if stack.len() >= MAX_NESTING {
                        return Some(Lexed::Error(ScanError::TooDeep(Span::new(file, i, i + 2))));
                    }
                    stack.push(Frame::Interp {
                        multiline,
                        string_start: start,
                    });
                    in_string = None;
                    i += 2;
                }
                // Plain text runs to the next byte that matters.
                _ => {
                    i += 1;
                    while i < bytes.len() && !matches!(bytes[i], b'\\' | b'"' | b'\n' | b'$') {
                        i += 1;
                    }
                }
            }
            continue;
        }
        if starts.is_none() {
            // Reading a block for its end alone, only strings, comments and
            // brackets matter: words and spaces are passed over in one run
            // (most of a skipped target block).
            while i < bytes.len() && !is_block_byte(bytes[i]) {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
        }
        let byte = bytes[i];
        match byte {
            // A word is read whole: whether it is a state class decides
            // whether a declaration keyword on the next line starts a chunk.
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => {
                let start = i;
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                after_state_class =
                    matches!(&bytes[start..i], b"persistent" | b"stateless" | b"volatile");
                continue;
            }
            b'\n' => {
                i += 1;
                if let Some(starts) = starts.as_mut()
                    && stack.is_empty()
                    && i < bytes.len()
                    && !after_state_class
                    && declaration_at(bytes, i)
                {
                    starts.push(i);
                }
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => {
                i += 1;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\x0c') {
                    i += 1;
                }
                continue;
            }
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => {}
            _ => after_state_class = false,
        }
        match byte {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(end) => i += end + 4,
                None => {
                    return Some(Lexed::Error(ScanError::UnterminatedComment(Span::new(
                        file,
                        i,
                        i + 2,
                    ))));
                }
            },
            b'"' => {
                if bytes[i..].starts_with(b"\"\"\"") {
                    in_string = Some((true, i));
                    i += 3;
                } else {
                    in_string = Some((false, i));
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                if stack.len() >= MAX_NESTING {
                    return Some(Lexed::Error(ScanError::TooDeep(Span::new(file, i, i + 1))));
                }
                stack.push(Frame::Bracket);
                i += 1;
            }
            b')' | b']' | b'}' => {
                if let Some(Frame::Interp {
                    multiline,
                    string_start,
                }) = stack.last()
                    && bytes[i] == b'}'
                {
                    in_string = Some((*multiline, *string_start));
                }
                stack.pop();
                i += 1;
                if starts.is_none() && stack.is_empty() {
                    return Some(Lexed::Closed(i));
                }
            }
            _ => i += 1,
        }
    }
    if let Some((multiline, start)) = in_string {
        let end = if multiline { start + 3 } else { text.len() };
        return Some(Lexed::Error(ScanError::UnterminatedString(
            Span::new(file, start, end),
            multiline,
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(text: &str) -> Option<ScanError> {
        scan(FileId(0), text).err()
    }

    #[test]
    fn finds_declaration_starts_at_the_top_level_only() {
        let text = "let a = 1\nresource b: T {\n  let = 2\n}\nlet s = \"\"\"\nlet x\n\"\"\"\n";
        assert_eq!(scan(FileId(0), text), Ok(vec![0, 10, 38]));
        // A state class keeps its declaration whole across a line break.
        assert_eq!(
            scan(FileId(0), "persistent // c\ncomponent C {}\n"),
            Ok(vec![0])
        );
    }

    #[test]
    fn accepts_nested_interpolation() {
        assert_eq!(scan_str(r#"let a = "x${ "y${ z }" }w""#), None);
        assert_eq!(scan_str("let a = \"\"\"\n  a ${ b } \"c\"\n\"\"\""), None);
    }

    #[test]
    fn finds_unterminated_string_on_its_line() {
        assert_eq!(
            scan_str("let a = \"abc\nlet b = 1"),
            Some(ScanError::UnterminatedString(
                Span::new(FileId(0), 8, 12),
                false
            ))
        );
    }

    #[test]
    fn finds_unterminated_comment() {
        assert_eq!(
            scan_str("let a = 1 /* no end"),
            Some(ScanError::UnterminatedComment(Span::new(FileId(0), 10, 12)))
        );
    }

    #[test]
    fn comment_markers_inside_strings_are_text() {
        assert_eq!(scan_str(r#"let a = "http://x/*y""#), None);
    }

    #[test]
    fn a_block_ends_at_its_own_bracket() {
        let text = r#"{ a = "}" b = "${ {x = "}"}.x }" /* } */ // }
  c = { d = """
} ${"}"} """ } } tail"#;
        let end = block_end(text, 0).unwrap();
        assert_eq!(&text[end..], " tail");
        assert_eq!(block_end("{ \"}\" ", 0), None);
        // From inside a text, to its very end; words and spaces passed over.
        assert_eq!(block_end("x = [ a, (b) ]", 4), Some(14));
        assert_eq!(block_end("{ words only and spaces", 0), None);
        assert_eq!(block_end("{ a / b }", 0), Some(9));
    }

    #[test]
    fn the_byte_tables_hold_their_classes() {
        for b in 0..=255u8 {
            assert_eq!(
                is_word_byte(b),
                b.is_ascii_alphanumeric() || b == b'_',
                "{b}"
            );
            assert_eq!(is_block_byte(b), b"\"/()[]{}".contains(&b), "{b}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            scan_str(&format!("let a = {deep}")),
            Some(ScanError::TooDeep(_))
        ));
    }
}
