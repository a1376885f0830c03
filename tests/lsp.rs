//! `infra lsp` as an editor runs it: a process spoken to in JSON-RPC over
//! its stdin and stdout, every wait bounded so that a hang fails the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    received: mpsc::Receiver<Value>,
    /// Notifications read while waiting for something else.
    notifications: Vec<Value>,
    next_id: i64,
    _cache: tempfile::TempDir,
}

fn read_frames(stdout: impl Read, sender: mpsc::Sender<Value>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let value: Value = serde_json::from_slice(&body).expect("the server writes JSON");
        if sender.send(value).is_err() {
            return;
        }
    }
}

impl Client {
    fn start(root: &Path) -> Client {
        Client::start_uninitialized(root).initialized(root)
    }

    fn start_with(root: &Path, options: Value) -> Client {
        let mut client = Client::start_uninitialized(root);
        let root = url(root);
        let result = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": {},
                    "initializationOptions": options }),
        );
        assert!(result["result"]["capabilities"].is_object());
        client.notify("initialized", json!({}));
        client
    }

    fn start_uninitialized(_root: &Path) -> Client {
        let cache = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_infra"))
            .arg("lsp")
            .env("XDG_CACHE_HOME", cache.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("infra lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, received) = mpsc::channel();
        std::thread::spawn(move || read_frames(stdout, sender));
        Client {
            child,
            stdin,
            received,
            notifications: Vec::new(),
            next_id: 1,
            _cache: cache,
        }
    }

    fn initialized(mut self, root: &Path) -> Client {
        let root = url(root);
        let result = self.request(
            "initialize",
            json!({ "processId": null, "rootUri": root, "capabilities": {},
                    "workspaceFolders": [{ "uri": root, "name": "root" }] }),
        );
        assert!(
            result["result"]["capabilities"]["hoverProvider"]
                .as_bool()
                .unwrap()
        );
        self.notify("initialized", json!({}));
        self
    }

    fn send_raw(&mut self, text: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{text}", text.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, value: Value) {
        self.send_raw(&value.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn next(&mut self, deadline: Instant) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        self.received
            .recv_timeout(left)
            .expect("the server answers in time")
    }

    /// The whole response to a request.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(id)
    }

    fn response(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let message = self.next(deadline);
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.notifications.push(message);
        }
    }

    fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        assert!(response.get("error").is_none(), "{method}: {response}");
        response["result"].clone()
    }

    fn open(&mut self, path: &Path) -> String {
        let uri = url(path);
        let text = std::fs::read_to_string(path).unwrap();
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "infra", "version": 1, "text": text } }),
        );
        uri
    }

    /// Replaces the whole text of an open document.
    fn change(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version },
                    "contentChanges": [{ "text": text }] }),
        );
    }

    /// The result of a request about a position of a document.
    fn ask(&mut self, method: &str, uri: &str, position: Value) -> Value {
        self.result(
            method,
            json!({ "textDocument": { "uri": uri }, "position": position }),
        )
    }

    /// The diagnostics published next for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let is_them = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        if let Some(i) = self.notifications.iter().position(is_them) {
            let m = self.notifications.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let m = self.next(deadline);
            if is_them(&m) {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.notifications.push(m);
        }
    }

    /// The diagnostics published for `uri` once they hold `code`: the
    /// checker's are published first, the targets' after.
    fn diagnostics_with(&mut self, uri: &str, code: &str) -> Vec<Value> {
        loop {
            let found = self.diagnostics(uri);
            if found.iter().any(|d| d["code"] == code) {
                return found;
            }
        }
    }

    fn shutdown(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after shutdown is status 0");
                return;
            }
            assert!(Instant::now() < deadline, "the server exits after `exit`");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

fn at(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

fn position_of(text: &str, needle: &str) -> Value {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"));
    let line = text[..offset].matches('\n').count() as u32;
    let column = (offset - text[..offset].rfind('\n').map_or(0, |i| i + 1)) as u32;
    at(line, column)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const SERVER: &str = "/// The machine image.
param image: string

resource net: network.Network {
  cidr = \"10.0.0.0/16\"
}

resource sub: network.Subnet {
  network = net
  cidr = \"10.0.1.0/24\"
}

resource web: compute.Server {
  image = image
  subnet = sub
  nme = \"web\"
}
";

#[test]
fn a_typo_gets_e0201_at_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", SERVER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let diagnostics = client.diagnostics(&uri);
    let typo = (diagnostics.iter())
        .find(|d| d["code"] == "E0201")
        .unwrap_or_else(|| panic!("E0201 among {diagnostics:?}"));
    let start = position_of(SERVER, "nme");
    assert_eq!(typo["range"]["start"], start);
    assert_eq!(
        typo["range"]["end"]["character"],
        start["character"].as_u64().unwrap() + 3
    );
    assert_eq!(typo["severity"], 1);
    assert!(
        typo["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `name`?"),
        "{typo}"
    );
    assert!(
        typo["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("E0201.md")
    );
    // The fix the diagnostic suggests, as a code action.
    let actions = client.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": typo["range"], "context": { "diagnostics": [] } }),
    );
    let fix = &actions.as_array().unwrap()[0];
    assert_eq!(fix["title"], "Replace with `name`");
    assert_eq!(fix["edit"]["changes"][&uri][0]["newText"], "name");
    // Fixed by an edit: the diagnostics go.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "range": typo["range"], "text": "name" }] }),
    );
    let after = client.diagnostics(&uri);
    assert!(after.iter().all(|d| d["code"] != "E0201"), "{after:?}");
    client.shutdown();
}

#[test]
fn completion_in_a_server_body_gives_its_properties_required_first() {
    let dir = tempfile::tempdir().unwrap();
    let text = SERVER.replace("  nme = \"web\"\n", "  \n");
    let path = write(dir.path(), "main.infra", &text);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let cursor = position_of(&text, "  \n}");
    let cursor = at(cursor["line"].as_u64().unwrap() as u32, 2);
    let list = client.ask("textDocument/completion", &uri, cursor);
    let mut items = list["items"].as_array().unwrap().clone();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or_default().to_string());
    let labels: Vec<&str> = items.iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(
        labels.contains(&"name") && labels.contains(&"size"),
        "{labels:?}"
    );
    // `image` and `subnet` are set already; nothing required is left, so
    // the first are optional ones, then the meta-properties.
    assert!(
        !labels.contains(&"image") && !labels.contains(&"subnet"),
        "{labels:?}"
    );
    assert!(labels.contains(&"depends_on"));
    // With `image` removed, it comes first: it is required.
    let text2 = text.replace("  image = image\n", "");
    client.change(&uri, 2, &text2);
    let cursor = position_of(&text2, "  \n}");
    let cursor = at(cursor["line"].as_u64().unwrap() as u32, 2);
    let list = client.ask("textDocument/completion", &uri, cursor);
    let mut items = list["items"].as_array().unwrap().clone();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or_default().to_string());
    assert_eq!(items[0]["label"], "image", "{items:?}");
    assert!(items[0]["detail"].as_str().unwrap().contains("required"));
    client.shutdown();
}

#[test]
fn hover_on_a_param_gives_its_type_stage_and_doc() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", SERVER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let hover = client.ask(
        "textDocument/hover",
        &uri,
        position_of(SERVER, "image = image"),
    );
    // The first `image` of that line is the property.
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("property of `compute.Server`, required"),
        "{value}"
    );
    let use_site = position_of(SERVER, "image = image");
    let use_site = at(
        use_site["line"].as_u64().unwrap() as u32,
        use_site["character"].as_u64().unwrap() as u32 + 9,
    );
    let hover = client.ask("textDocument/hover", &uri, use_site);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("param image: string"), "{value}");
    assert!(value.contains("type: `string`"), "{value}");
    assert!(value.contains("known at deploy time"), "{value}");
    assert!(value.contains("The machine image."), "{value}");
    client.shutdown();
}

const LIBRARY: &str = "/// A tier of web servers.
component WebTier {
  param name: string

  resource net: network.Network {
    cidr = \"10.0.0.0/16\"
    name = name
  }

  output id = net.id
}
";

const USER: &str = "import \"./lib.infra\" as lib

resource tier: lib.WebTier {
  name = \"shop\"
}

output tier_id = tier.id
";

#[test]
fn definition_of_a_component_in_another_file() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.infra", LIBRARY);
    let path = write(dir.path(), "main.infra", USER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let found = client.ask(
        "textDocument/definition",
        &uri,
        position_of(USER, "WebTier"),
    );
    assert_eq!(found["uri"], url(&lib));
    assert_eq!(found["range"]["start"], position_of(LIBRARY, "WebTier"));
    // The import's name goes to its file; its components complete as types.
    let found = client.ask(
        "textDocument/definition",
        &uri,
        position_of(USER, "lib.WebTier"),
    );
    assert_eq!(found["uri"], url(&lib));
    let text = format!("{USER}resource other: li");
    client.change(&uri, 2, &text);
    let line = text.lines().count() as u32 - 1;
    let list = client.ask("textDocument/completion", &uri, at(line, 18));
    let labels: Vec<&str> = (list["items"].as_array().unwrap().iter())
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"lib.WebTier"), "{labels:?}");
    client.shutdown();
}

const RESOURCE_USER: &str = "import \"./lib.infra\" as lib

resource vpc: network.Network {
  cidr = \"10.1.0.0/16\"
}

resource tier: lib.WebTier {
  name = \"shop\"
}

output vpc_id = vpc.id
";

#[test]
fn rename_across_two_files() {
    let dir = tempfile::tempdir().unwrap();
    let lib = write(dir.path(), "lib.infra", LIBRARY);
    let path = write(dir.path(), "main.infra", RESOURCE_USER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let lib_uri = client.open(&lib);
    // A resource: every use renamed, and `renamed_from` added so that
    // nothing deployed is replaced.
    let edit = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": position_of(RESOURCE_USER, "vpc:"), "newName": "network" }),
    );
    let edits = edit["changes"][&uri].as_array().unwrap();
    let texts: Vec<&str> = edits
        .iter()
        .map(|e| e["newText"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts.iter().filter(|t| **t == "network").count(),
        2,
        "{edits:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("renamed_from = \"vpc\"")),
        "{edits:?}"
    );
    // Not to a reserved word.
    let refused = client.request(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": position_of(RESOURCE_USER, "vpc:"), "newName": "output" }),
    );
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    // A resource inside a component, renamed from its own file, and the
    // component's param, whose instances in the other file set it.
    let edit = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": lib_uri }, "position": position_of(LIBRARY, "net:"), "newName": "vnet" }),
    );
    let edits = edit["changes"][&lib_uri].as_array().unwrap();
    assert_eq!(
        edits.iter().filter(|e| e["newText"] == "vnet").count(),
        2,
        "{edits:?}"
    );
    let edit = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": lib_uri }, "position": position_of(LIBRARY, "name: string"), "newName": "title" }),
    );
    let in_lib = edit["changes"][&lib_uri].as_array().unwrap();
    let in_main = edit["changes"][&uri].as_array().unwrap();
    assert_eq!(in_lib.len(), 2, "the param and its use: {in_lib:?}");
    assert_eq!(in_main.len(), 1, "the instance's property: {in_main:?}");
    assert_eq!(
        in_main[0]["range"]["start"],
        position_of(RESOURCE_USER, "name = \"shop\"")
    );
    // The component itself: its declaration and the type that names it.
    let edit = client.result(
        "textDocument/rename",
        json!({ "textDocument": { "uri": uri }, "position": position_of(RESOURCE_USER, "WebTier"), "newName": "Tier" }),
    );
    assert_eq!(
        edit["changes"][&lib_uri].as_array().unwrap().len(),
        1,
        "{edit}"
    );
    assert_eq!(edit["changes"][&uri].as_array().unwrap().len(), 1, "{edit}");
    // And its references.
    let refs = client.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": lib_uri }, "position": position_of(LIBRARY, "WebTier"),
                "context": { "includeDeclaration": true } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");
    client.shutdown();
}

#[test]
fn a_half_written_file_still_gets_hover_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", SERVER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    client.diagnostics(&uri);
    // A declaration half typed at the end.
    let broken = format!("{SERVER}\nresource other: compute.Server {{\n  \n");
    client.change(&uri, 2, &broken);
    let diagnostics = client.diagnostics(&uri);
    assert!(!diagnostics.is_empty(), "the syntax error is reported");
    let use_site = position_of(&broken, "image = image");
    let use_site = at(
        use_site["line"].as_u64().unwrap() as u32,
        use_site["character"].as_u64().unwrap() as u32 + 9,
    );
    let hover = client.ask("textDocument/hover", &uri, use_site);
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("param image"),
        "{hover}"
    );
    let lines = broken.lines().count() as u32;
    let list = client.ask("textDocument/completion", &uri, at(lines - 1, 2));
    let labels: Vec<&str> = (list["items"].as_array().unwrap().iter())
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"image") && labels.contains(&"subnet"),
        "{labels:?}"
    );
    client.shutdown();
}

#[test]
fn bad_input_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", SERVER);
    let mut client = Client::start_uninitialized(dir.path());
    // Before `initialize`: the proper error.
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    let mut client = client.initialized(dir.path());
    // Not JSON.
    client.send_raw("{ this is not json");
    let parse_error = client.next(Instant::now() + WAIT);
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    // An unknown method, and a known one with nonsense params.
    let unknown = client.request("infra/nothing", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let nonsense = client.request("textDocument/hover", json!({ "textDocument": 3 }));
    assert_eq!(nonsense["error"]["code"], -32602, "{nonsense}");
    // A change to a document never opened, a hover on one never opened.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///nowhere.infra", "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    let nowhere = client.result(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///nowhere.infra" }, "position": at(0, 0) }),
    );
    assert_eq!(nowhere, Value::Null);
    // A file of garbage.
    let uri = client.open(&path);
    client.diagnostics(&uri);
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "text": "resource { ] \"unterminated\n}}}} param param" }] }),
    );
    assert!(!client.diagnostics(&uri).is_empty());
    for position in [at(0, 0), at(0, 5), at(1, 3), at(40, 40)] {
        for method in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
        ] {
            let response = client.request(
                method,
                json!({ "textDocument": { "uri": uri }, "position": position }),
            );
            assert!(response.get("error").is_none(), "{method}: {response}");
        }
    }
    // Still serving.
    let symbols = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(symbols.is_array());
    client.shutdown();
}

#[test]
fn symbols_folding_and_formatting() {
    let dir = tempfile::tempdir().unwrap();
    let messy =
        "param   image : string\nresource net: network.Network {\n    cidr = \"10.0.0.0/16\"\n}\n";
    let path = write(dir.path(), "main.infra", messy);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let symbols = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let names: Vec<&str> = (symbols.as_array().unwrap().iter())
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["image", "net"]);
    let folds = client.result(
        "textDocument/foldingRange",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(folds[0]["startLine"], 1);
    assert_eq!(folds[0]["endLine"], 3);
    let edits = client.result(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let formatted = edits[0]["newText"].as_str().unwrap();
    assert!(
        formatted.starts_with("param image: string\n"),
        "{formatted}"
    );
    assert!(formatted.contains("\n  cidr = "), "{formatted}");
    client.shutdown();
}

#[test]
fn a_missing_required_property_is_added_by_a_code_action() {
    let dir = tempfile::tempdir().unwrap();
    let text = "resource net: network.Network {\n}\n";
    let path = write(dir.path(), "main.infra", text);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let diagnostics = client.diagnostics(&uri);
    let missing = diagnostics
        .iter()
        .find(|d| d["code"] == "E0202")
        .expect("E0202");
    let actions = client.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": missing["range"], "context": { "diagnostics": [] } }),
    );
    let action = (actions.as_array().unwrap().iter())
        .find(|a| a["title"].as_str().unwrap().starts_with("Add the missing"))
        .expect("the fix");
    let edit = &action["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "  cidr = \"\"\n");
    assert_eq!(edit["range"]["start"], at(1, 0));
    client.shutdown();
}

/// Every keyword of the grammar (`kw_*` rules, the declaration keywords)
/// is highlighted by the editors' TextMate grammar.
#[test]
fn the_textmate_grammar_knows_every_keyword() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pest = std::fs::read_to_string(root.join("grammar/infra.pest")).unwrap();
    let tm = std::fs::read_to_string(root.join("editors/vscode/syntaxes/infra.tmLanguage.json"))
        .unwrap();
    let _: Value = serde_json::from_str(&tm).expect("the grammar is JSON");
    let mut words = Vec::new();
    for line in pest.lines() {
        let quoted = |text: &str| -> Vec<String> {
            text.split('"')
                .skip(1)
                .step_by(2)
                .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_lowercase()))
                .map(str::to_string)
                .collect()
        };
        if line.starts_with("kw_") {
            words.extend(quoted(line).into_iter().take(1));
        } else if line.starts_with("decl_keyword =") {
            words.extend(quoted(line));
        }
    }
    assert!(words.len() > 20, "{words:?}");
    for word in words {
        let listed = [
            format!("({word}|"),
            format!("|{word}|"),
            format!("|{word})"),
            format!("({word})"),
        ]
        .iter()
        .any(|form| tm.contains(form.as_str()));
        assert!(
            listed,
            "`{word}` is not highlighted by editors/vscode/syntaxes/infra.tmLanguage.json"
        );
    }
}

const CLOUDFORMATION_ONLY: &str = "resource v: AWS::EC2::VPC {\n  CidrBlock = \"10.0.0.0/16\"\n}\n";

fn codes(diagnostics: &[Value]) -> Vec<&str> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

#[test]
fn diagnostics_are_for_the_targets_of_the_workspace_or_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", CLOUDFORMATION_ONLY);
    // The workspace's setting: the checker's diagnostics come first, then
    // the targets'.
    let mut client = Client::start_with(dir.path(), json!({ "targets": ["heat"] }));
    let uri = client.open(&path);
    let first = client.diagnostics(&uri);
    assert!(first.is_empty(), "{first:?}");
    let found = client.diagnostics_with(&uri, "E0500");
    assert_eq!(codes(&found), ["E0500"]);
    client.shutdown();
    // The project's infra.toml.
    write(dir.path(), "infra.toml", "[build]\ntargets = [\"heat\"]\n");
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    client.diagnostics_with(&uri, "E0500");
    client.shutdown();
}

#[test]
fn an_imports_errors_are_published_for_it_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let broken = LIBRARY.replace("name = name", "nme = name");
    let lib = write(dir.path(), "lib.infra", &broken);
    let path = write(dir.path(), "main.infra", USER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    let lib_uri = url(&lib);
    let found = client.diagnostics(&lib_uri);
    assert_eq!(codes(&found), ["E0201"], "{found:?}");
    // Fixed on disk and saved: cleared.
    std::fs::write(&lib, LIBRARY).unwrap();
    client.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": lib_uri } }),
    );
    let _ = client.diagnostics(&uri);
    let found = client.diagnostics(&lib_uri);
    assert!(found.is_empty(), "{found:?}");
    client.shutdown();
}

fn labels(list: &Value) -> Vec<String> {
    let items = list["items"].as_array().unwrap();
    items
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_of_types_attributes_enum_values_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "main.infra", SERVER);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    client.diagnostics(&uri);
    let complete_after = |client: &mut Client, typed: &str| {
        let text = format!("{SERVER}{typed}");
        client.change(&uri, 2, &text);
        let line = text.lines().count() as u32 - 1;
        let column = text.lines().last().unwrap().len() as u32;
        client.ask("textDocument/completion", &uri, at(line, column))
    };
    let attributes = complete_after(&mut client, "output ip = web.");
    assert!(
        labels(&attributes).contains(&"private_ip".to_string()),
        "{attributes}"
    );
    let types = complete_after(&mut client, "resource db: database.");
    assert!(labels(&types).contains(&"database.Instance".to_string()));
    let instance = (types["items"].as_array().unwrap().iter())
        .find(|i| i["label"] == "database.Instance")
        .unwrap();
    assert_eq!(instance["textEdit"]["range"]["start"]["character"], 13);
    let natives = complete_after(&mut client, "resource v: AWS::EC2::V");
    assert!(
        labels(&natives).contains(&"AWS::EC2::VPC".to_string()),
        "{natives}"
    );
    assert!(
        labels(&natives)
            .iter()
            .all(|l| l.starts_with("AWS::EC2::V"))
    );
    let sizes = complete_after(&mut client, "resource other: compute.Server {\n  size = ");
    assert_eq!(labels(&sizes)[..2], ["\"small\"", "\"medium\""], "{sizes}");
    let values = complete_after(&mut client, "output o = ");
    let names = labels(&values);
    assert!(
        names.contains(&"image".to_string()) && names.contains(&"web".to_string()),
        "{names:?}"
    );
    let declarations = complete_after(&mut client, "\n");
    let resource = (declarations["items"].as_array().unwrap().iter())
        .find(|i| i["label"] == "resource")
        .expect("a snippet");
    assert_eq!(resource["insertTextFormat"], 2);
    client.shutdown();
}

#[test]
fn hover_and_definition_reach_into_the_stdlib() {
    let dir = tempfile::tempdir().unwrap();
    let text = "resource v: AWS::EC2::VPC {\n  CidrBlock = \"10.0.0.0/16\"\n}\n\nlet block = \"10.0.0.0/8\"\n\noutput b = block\noutput c = block\n";
    let path = write(dir.path(), "main.infra", text);
    let mut client = Client::start(dir.path());
    let uri = client.open(&path);
    // A native property's doc, from its schema.
    let hover = client.ask("textDocument/hover", &uri, position_of(text, "CidrBlock"));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("property of `AWS::EC2::VPC`"), "{value}");
    assert!(
        value.contains("The IPv4 network range for the VPC"),
        "{value}"
    );
    // A type's page: `infra doc`.
    let hover = client.ask("textDocument/hover", &uri, position_of(text, "EC2"));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("AWS::EC2::VPC"),
        "{hover}"
    );
    // The type's schema, a read-only file the client can open.
    let found = client.ask("textDocument/definition", &uri, position_of(text, "VPC"));
    let schema = found["uri"]
        .as_str()
        .unwrap()
        .strip_prefix("file://")
        .unwrap()
        .to_string();
    assert!(
        schema.ends_with("stdlib/native/cloudformation/aws-ec2-vpc.infra"),
        "{schema}"
    );
    let meta = std::fs::metadata(&schema).unwrap();
    assert!(meta.permissions().readonly());
    let written = std::fs::read_to_string(&schema).unwrap();
    let line = found["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(written.lines().nth(line).unwrap().contains("AWS::EC2::VPC"));
    // A let's references, and a second `initialize` refused.
    let refs = client.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": uri }, "position": position_of(text, "block ="),
                "context": { "includeDeclaration": false } }),
    );
    assert_eq!(refs.as_array().unwrap().len(), 2, "{refs}");
    let again = client.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    client.shutdown();
}
