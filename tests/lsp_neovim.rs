//! `infra lsp` in a real editor client: Neovim's built-in LSP client,
//! headless, opens a file with an error and reads the diagnostic back.
//! `.ci/run` installs Debian's `neovim`; with `CI` set, a missing `nvim`
//! fails the test (tests/support/tools.rs). The Lua uses only what
//! Neovim 0.7 (Debian 12's) has: `vim.lsp.start_client` and
//! `vim.lsp.buf_attach_client`, `vim.diagnostic.get`.

#[path = "support/tools.rs"]
mod tools;

use std::process::Command;

const CONFIG: &str = r#"
local file = os.getenv("INFRA_TEST_FILE")
local out = os.getenv("INFRA_TEST_OUT")
vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local id = vim.lsp.start_client({
  name = "infra",
  cmd = { os.getenv("INFRA_TEST_BIN"), "lsp" },
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
vim.lsp.buf_attach_client(buf, id)
local found = vim.wait(30000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
local lines = {}
if not found then
  table.insert(lines, "no diagnostics")
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(lines, string.format("%s %d %d %s", tostring(d.code), d.lnum, d.col, d.message:gsub("\n", " ")))
end
vim.fn.writefile(lines, out)
vim.lsp.stop_client(id)
vim.cmd("qa!")
"#;

#[test]
fn neovim_shows_the_servers_diagnostic() {
    let found = Command::new("nvim")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tools::available("nvim (Debian's neovim)", found) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.infra");
    std::fs::write(
        &file,
        "resource net: network.Network {\n  cidr = \"10.0.0.0/16\"\n  nme = \"x\"\n}\n",
    )
    .unwrap();
    let config = dir.path().join("init.lua");
    std::fs::write(&config, CONFIG).unwrap();
    let out = dir.path().join("diagnostics.txt");
    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(&config)
        .env("INFRA_TEST_FILE", &file)
        .env("INFRA_TEST_OUT", &out)
        .env("INFRA_TEST_BIN", env!("CARGO_BIN_EXE_infra"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nvim starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let written = std::fs::read_to_string(&out).expect("the Lua script wrote the diagnostics");
    let line = (written.lines())
        .find(|l| l.starts_with("E0201 "))
        .unwrap_or_else(|| panic!("E0201 among: {written}"));
    // Zero-based line 2, column 2: `nme`.
    assert!(line.starts_with("E0201 2 2 "), "{line}");
    assert!(line.contains("has no property `nme`"), "{line}");
}
