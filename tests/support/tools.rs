//! The outside tools a test needs: with `CI` set, a missing one fails the
//! test; elsewhere the test says why it skips.

/// Whether `tool` is on this machine (`found`); panics when it is not and
/// `CI` is set.
pub fn available(tool: &str, found: bool) -> bool {
    if found {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set and {tool} is missing"
    );
    eprintln!("skipped: {tool} is not set up on this machine");
    false
}
