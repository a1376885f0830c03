//! `infra fmt`: one canonical layout, every comment kept.

use crate::syntax::ast::SourceFile;

/// Formats a parsed file. `text` is the file's source, for comments.
pub fn format(file: &SourceFile, text: &str) -> String {
    let _ = file;
    text.to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn probe_spans() {
        let text = "let x = a + b // c\n\nparam p: int = 1 /* d */ {\n  min = 1 // e\n  max = [1, 2] // f\n}\nresource r: T for i in xs /* g */ if c // h\n{}\n";
        let (f, d) = crate::syntax::parse(crate::source::FileId(0), text);
        println!("{d:?}");
        for item in &f.items {
            println!("item {:?} {:?}", &text[item.span.range()], item.kind);
        }
        for c in &f.comments {
            println!("{:?}", c);
        }
        panic!();
    }
}
