//! `infra lsp`: the Language Server Protocol over stdin and stdout.
//!
//! Synchronous: one thread reads and frames messages, the server's thread
//! answers them in order. Each open document is checked as an entry file
//! by the compiler itself (`analysis::analyse`: `crate::analyse` with the
//! open buffers read in place of their files), debounced after changes;
//! requests read the last analysis of the document, or, while the document
//! does not parse, the last one that did, with positions mapped around the
//! edit (`text::map_offset`). A panic answers its request with an error
//! and the server goes on.

pub mod analysis;
pub mod complete;
pub mod outline;
pub mod query;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::*;
use serde_json::{Value, json};

pub use analysis::{Analysis, analyse};

/// How long the server waits after a change for the next before checking.
const DEBOUNCE: Duration = Duration::from_millis(80);

/// The largest message read: more is skipped, and answered with an error.
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Serves stdin and stdout until `exit`: 0 after `shutdown`, 1 otherwise.
pub fn run() -> u8 {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || read_messages(std::io::stdin().lock(), sender));
    let stdout = std::io::stdout();
    let mut server = Server::new(Box::new(stdout.lock()));
    server.serve(&receiver)
}

pub enum Incoming {
    Message(Message),
    /// A message that is not JSON-RPC: answered with a parse error.
    Invalid(String),
    End,
}

/// Reads framed messages (`Content-Length` headers) until the input ends;
/// what cannot be read is reported and skipped, never the end.
pub fn read_messages(mut input: impl BufRead, sender: mpsc::Sender<Incoming>) {
    loop {
        let incoming = read_frame(&mut input);
        let end = matches!(incoming, Incoming::End);
        if sender.send(incoming).is_err() || end {
            return;
        }
    }
}

fn read_frame(input: &mut impl BufRead) -> Incoming {
    let mut length: Option<usize> = None;
    let mut garbage = false;
    loop {
        let mut line = Vec::new();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return Incoming::End,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            match length {
                Some(length) if length <= MAX_MESSAGE => break,
                Some(length) => {
                    let _ = std::io::copy(
                        &mut input.by_ref().take(length as u64),
                        &mut std::io::sink(),
                    );
                    return Incoming::Invalid(format!("a message of {length} bytes is too large"));
                }
                None if garbage => {
                    return Incoming::Invalid("a message without Content-Length".into());
                }
                None => continue,
            }
        }
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                match value.trim().parse() {
                    Ok(n) => length = Some(n),
                    Err(_) => garbage = true,
                }
            }
            Some((name, _)) if !name.contains(['{', '"', ' ']) => {}
            _ => garbage = true,
        }
    }
    let length = length.unwrap_or(0);
    let mut body = vec![0; length];
    if input.read_exact(&mut body).is_err() {
        return Incoming::End;
    }
    match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Incoming::Message(message),
        Err(error) => Incoming::Invalid(format!("not a JSON-RPC message: {error}")),
    }
}

struct Document {
    text: String,
    version: i32,
}

pub struct Server {
    out: Box<dyn Write>,
    initialized: bool,
    shut_down: bool,
    docs: HashMap<Url, Document>,
    /// Documents changed since their last check.
    pending: HashSet<Url>,
    /// Documents checked whose targets' diagnostics are still to come.
    lowering: HashSet<Url>,
    deadline: Option<Instant>,
    /// The last analysis of each open document, and the last whose text
    /// parsed.
    latest: HashMap<Url, Rc<Analysis>>,
    parsed: HashMap<Url, Rc<Analysis>>,
    /// The targets of the workspace (`initializationOptions.targets`), or
    /// none for every target each program can compile to.
    targets: Vec<crate::ir::Target>,
    /// The workspace's folders, searched for files that may refer to a
    /// renamed declaration.
    roots: Vec<PathBuf>,
    /// The files that are not open whose diagnostics were published from
    /// each document's analysis (an import's errors), so that they are
    /// cleared when they go.
    imported: HashMap<Url, HashSet<Url>>,
}

fn error_response(id: RequestId, code: ErrorCode, message: impl Into<String>) -> Response {
    Response::new_err(id, code as i32, message.into())
}

impl Server {
    pub fn new(out: Box<dyn Write>) -> Server {
        Server {
            out,
            initialized: false,
            shut_down: false,
            docs: HashMap::new(),
            pending: HashSet::new(),
            lowering: HashSet::new(),
            deadline: None,
            latest: HashMap::new(),
            parsed: HashMap::new(),
            targets: Vec::new(),
            roots: Vec::new(),
            imported: HashMap::new(),
        }
    }

    fn send(&mut self, message: Message) {
        let _ = message.write(&mut self.out);
    }

    fn send_raw(&mut self, value: Value) {
        let text = value.to_string();
        let _ = write!(self.out, "Content-Length: {}\r\n\r\n{text}", text.len());
        let _ = self.out.flush();
    }

    /// Answers messages until `exit` or the end of the input.
    pub fn serve(&mut self, receiver: &mpsc::Receiver<Incoming>) -> u8 {
        loop {
            // Lowering waits for nothing but the messages already there.
            let deadline = match self.deadline {
                None if !self.lowering.is_empty() => Some(Instant::now()),
                deadline => deadline,
            };
            let incoming = match deadline {
                Some(deadline) => {
                    match receiver.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    {
                        Ok(incoming) => Some(incoming),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => Some(Incoming::End),
                    }
                }
                None => Some(receiver.recv().unwrap_or(Incoming::End)),
            };
            match incoming {
                None if self.deadline.is_some_and(|d| d <= Instant::now()) => self.check_pending(),
                None => self.lower_pending(),
                Some(Incoming::End) => return if self.shut_down { 0 } else { 1 },
                Some(Incoming::Invalid(why)) => self.send_raw(json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": { "code": ErrorCode::ParseError as i32, "message": why },
                })),
                Some(Incoming::Message(message)) => {
                    if let Some(code) = self.handle(message) {
                        return code;
                    }
                }
            }
        }
    }

    fn handle(&mut self, message: Message) -> Option<u8> {
        match message {
            Message::Request(request) => {
                let response = self.request(request);
                self.send(Message::Response(response));
                None
            }
            Message::Notification(n) if n.method == "exit" => {
                Some(if self.shut_down { 0 } else { 1 })
            }
            Message::Notification(n) => {
                if self.initialized {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.notification(n)
                    }));
                    if outcome.is_err() {
                        self.log(
                            "internal error while handling a notification (please report this)",
                        );
                    }
                }
                None
            }
            Message::Response(_) => None,
        }
    }

    fn log(&mut self, message: &str) {
        let n = Notification::new(
            "window/logMessage".into(),
            LogMessageParams {
                typ: MessageType::ERROR,
                message: message.into(),
            },
        );
        self.send(Message::Notification(n));
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        if request.method == "initialize" {
            if self.initialized {
                return error_response(id, ErrorCode::InvalidRequest, "already initialized");
            }
            self.initialized = true;
            let params: InitializeParams =
                serde_json::from_value(request.params).unwrap_or_default();
            self.configure(&params);
            return Response::new_ok(id, initialize_result());
        }
        if !self.initialized {
            return error_response(
                id,
                ErrorCode::ServerNotInitialized,
                "the server is not initialized",
            );
        }
        if self.shut_down {
            return error_response(id, ErrorCode::InvalidRequest, "the server is shutting down");
        }
        if request.method == "shutdown" {
            self.shut_down = true;
            return Response::new_ok(id, Value::Null);
        }
        let method = request.method.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.dispatch(&request.method, request.params)
        }));
        match outcome {
            Ok(Ok(value)) => Response {
                id,
                result: Some(value),
                error: None,
            },
            Ok(Err((code, message))) => error_response(id, code, message),
            Err(_) => error_response(
                id,
                ErrorCode::InternalError,
                format!("internal error in `{method}` (please report this)"),
            ),
        }
    }

    #[allow(deprecated)]
    fn configure(&mut self, params: &InitializeParams) {
        if let Some(options) = &params.initialization_options
            && let Some(targets) = options.get("targets").and_then(Value::as_array)
        {
            self.targets = (targets.iter().filter_map(Value::as_str))
                .filter_map(crate::ir::Target::from_name)
                .collect();
        }
        for folder in params.workspace_folders.iter().flatten() {
            if let Ok(path) = folder.uri.to_file_path() {
                self.roots.push(path);
            }
        }
        if self.roots.is_empty()
            && let Some(path) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok())
        {
            self.roots.push(path);
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) {
                    let doc = p.text_document;
                    self.docs.insert(
                        doc.uri.clone(),
                        Document {
                            text: doc.text,
                            version: doc.version,
                        },
                    );
                    // Opened: checked at once.
                    self.pending.insert(doc.uri);
                    self.deadline = Some(Instant::now());
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params)
                    && let Some(doc) = self.docs.get_mut(&p.text_document.uri)
                {
                    for change in p.content_changes {
                        text::apply_change(&mut doc.text, change);
                    }
                    doc.version = p.text_document.version;
                    self.pending.insert(p.text_document.uri);
                    self.deadline = Some(Instant::now() + DEBOUNCE);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) {
                    let uri = p.text_document.uri;
                    self.docs.remove(&uri);
                    self.pending.remove(&uri);
                    self.latest.remove(&uri);
                    self.parsed.remove(&uri);
                    self.publish(uri, Vec::new(), None);
                }
            }
            "workspace/didChangeConfiguration" => {
                if let Ok(p) = serde_json::from_value::<DidChangeConfigurationParams>(n.params)
                    && let Some(targets) = p
                        .settings
                        .pointer("/infra/targets")
                        .and_then(Value::as_array)
                {
                    self.targets = (targets.iter().filter_map(Value::as_str))
                        .filter_map(crate::ir::Target::from_name)
                        .collect();
                    self.pending.extend(self.docs.keys().cloned());
                    self.deadline = Some(Instant::now());
                }
            }
            // Saving changes nothing the buffers did not say; other
            // documents may import the saved file.
            "textDocument/didSave" => {
                self.pending.extend(self.docs.keys().cloned());
                self.deadline = Some(Instant::now() + DEBOUNCE);
            }
            _ => {}
        }
    }

    fn publish(&mut self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let n = Notification::new(
            "textDocument/publishDiagnostics".into(),
            PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            },
        );
        self.send(Message::Notification(n));
    }

    /// The open buffers that are files, by the path the loader reads.
    fn overlay(&self) -> HashMap<PathBuf, String> {
        (self.docs.iter())
            .filter_map(|(url, doc)| Some((analysis::path_of_url(url)?, doc.text.clone())))
            .collect()
    }

    /// Checks one document now.
    fn check(&mut self, uri: &Url) -> Option<Rc<Analysis>> {
        let path = analysis::path_of_url(uri)?;
        let text = self.docs.get(uri)?.text.clone();
        let mut overlay = self.overlay();
        overlay.remove(&path);
        let found = Rc::new(analysis::check(&path, &text, overlay, &self.targets));
        if !found.complete {
            self.lowering.insert(uri.clone());
        }
        self.latest.insert(uri.clone(), found.clone());
        if found.has_program() {
            self.parsed.insert(uri.clone(), found.clone());
        }
        Some(found)
    }

    /// Checks every changed document and publishes what the checker
    /// found; the targets' diagnostics follow (`lower_pending`).
    fn check_pending(&mut self) {
        self.deadline = None;
        let pending: Vec<Url> = self.pending.drain().collect();
        for uri in pending {
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.check(&uri)));
            if let Ok(Some(found)) = outcome {
                self.publish_all(&uri, &found);
            }
        }
    }

    /// Lowers and emits one checked document for its targets, and
    /// publishes all its diagnostics again.
    fn lower_pending(&mut self) {
        let Some(uri) = self.lowering.iter().next().cloned() else {
            return;
        };
        self.lowering.remove(&uri);
        let Some(latest) = self.latest.remove(&uri) else {
            return;
        };
        let parsed = self.parsed.remove(&uri);
        let same = parsed.as_ref().is_some_and(|p| Rc::ptr_eq(p, &latest));
        // The same analysis is dropped here (`filter` takes it), to be
        // unwrapped below.
        if let Some(parsed) = parsed.filter(|_| !same) {
            self.parsed.insert(uri.clone(), parsed);
        }
        // Nothing else holds it: requests are answered on this thread.
        let mut found = match Rc::try_unwrap(latest) {
            Ok(found) => found,
            Err(shared) => {
                self.latest.insert(uri.clone(), shared);
                return;
            }
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            found.lower();
            found
        }));
        let Ok(found) = outcome else {
            self.log("internal error while lowering (please report this)");
            return;
        };
        let found = Rc::new(found);
        if same {
            self.parsed.insert(uri.clone(), found.clone());
        }
        self.latest.insert(uri.clone(), found.clone());
        self.publish_all(&uri, &found);
    }

    /// Publishes the diagnostics of a document's analysis: its own, and
    /// those of the files it imports that are not open.
    fn publish_all(&mut self, uri: &Url, found: &Analysis) {
        let in_cache =
            analysis::path_of_url(uri).is_some_and(|p| p.starts_with(analysis::cache_dir()));
        let diagnostics = if in_cache {
            Vec::new()
        } else {
            analysis::lsp_diagnostics(found)
        };
        let version = self.docs.get(uri).map(|d| d.version);
        self.publish(uri.clone(), diagnostics, version);
        // An import's diagnostics, while it is not open itself.
        let mut now = HashSet::new();
        for path in analysis::other_files(found) {
            let Ok(other) = Url::from_file_path(&path) else {
                continue;
            };
            if self.docs.contains_key(&other) {
                continue;
            }
            let diagnostics = analysis::lsp_diagnostics_in(found, &path);
            self.publish(other.clone(), diagnostics, None);
            now.insert(other);
        }
        let before = self
            .imported
            .insert(uri.clone(), now.clone())
            .unwrap_or_default();
        for gone in before.difference(&now) {
            if !self.docs.contains_key(gone) {
                self.publish(gone.clone(), Vec::new(), None);
            }
        }
    }

    /// The analysis a request reads, checked first when its document
    /// changed, and the document's text.
    fn analysis_of(&mut self, uri: &Url) -> Option<(Rc<Analysis>, String)> {
        if self.pending.contains(uri) || !self.latest.contains_key(uri) {
            self.pending.remove(uri);
            self.check(uri);
        }
        let text = self.docs.get(uri)?.text.clone();
        let latest = self.latest.get(uri)?.clone();
        if latest.has_program() {
            return Some((latest, text));
        }
        Some((self.parsed.get(uri)?.clone(), text))
    }

    /// The offset of `position` in the analysis' text, when the part of the
    /// document it is in did not change since.
    fn offset_in(analysis: &Analysis, text: &str, position: Position) -> Option<usize> {
        let offset = text::offset(text, position);
        if analysis.text == text {
            return Some(offset);
        }
        text::map_offset(&analysis.text, text, offset)
    }

    fn dispatch(&mut self, method: &str, params: Value) -> Result<Value, (ErrorCode, String)> {
        fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
            serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
        }
        let to_value = |v: Option<Value>| Ok(v.unwrap_or(Value::Null));
        match method {
            "textDocument/hover" => {
                let p: HoverParams = parse(params)?;
                let at = p.text_document_position_params;
                to_value(self.at_position(&at, |a, m, o| query::hover(a, m, o).map(|h| json!(h))))
            }
            "textDocument/definition" => {
                let p: GotoDefinitionParams = parse(params)?;
                let at = p.text_document_position_params;
                to_value(
                    self.at_position(&at, |a, m, o| query::definition(a, m, o).map(|l| json!(l))),
                )
            }
            "textDocument/references" => {
                let p: ReferenceParams = parse(params)?;
                let locations =
                    self.references(&p.text_document_position, p.context.include_declaration);
                to_value(locations.map(|l| json!(l)))
            }
            "textDocument/prepareRename" => {
                let p: TextDocumentPositionParams = parse(params)?;
                let Some((analysis, text)) = self.analysis_of(&p.text_document.uri) else {
                    return Ok(Value::Null);
                };
                let Some(offset) = Self::offset_in(&analysis, &text, p.position) else {
                    return Ok(Value::Null);
                };
                let program = analysis.program().map(|p| p.entry);
                let symbol = program.and_then(|m| query::symbol_at(&analysis, m, offset));
                match (
                    symbol,
                    text::word_at(&text, text::offset(&text, p.position)),
                ) {
                    (Some(_), Some((a, b))) => Ok(json!(text::range(&text, a, b))),
                    _ => Err((ErrorCode::InvalidRequest, "nothing to rename here".into())),
                }
            }
            "textDocument/rename" => {
                let p: RenameParams = parse(params)?;
                self.rename(&p.text_document_position, &p.new_name)
                    .map(|e| json!(e))
            }
            "textDocument/completion" => {
                let p: CompletionParams = parse(params)?;
                Ok(json!(self.completion(&p.text_document_position)))
            }
            "textDocument/documentSymbol" => {
                let p: DocumentSymbolParams = parse(params)?;
                let text = self.text_of(&p.text_document.uri)?;
                Ok(json!(DocumentSymbolResponse::Nested(outline::symbols(
                    &text
                ))))
            }
            "textDocument/foldingRange" => {
                let p: FoldingRangeParams = parse(params)?;
                let text = self.text_of(&p.text_document.uri)?;
                Ok(json!(outline::folding(&text)))
            }
            "textDocument/formatting" => {
                let p: DocumentFormattingParams = parse(params)?;
                let text = self.text_of(&p.text_document.uri)?;
                to_value(outline::format(&text).map(|e| json!(e)))
            }
            "textDocument/codeAction" => {
                let p: CodeActionParams = parse(params)?;
                let uri = p.text_document.uri;
                let Some((analysis, text)) = self.analysis_of(&uri) else {
                    return Ok(json!([]));
                };
                if analysis.text != text {
                    return Ok(json!([]));
                }
                let start = text::offset(&text, p.range.start);
                let end = text::offset(&text, p.range.end);
                Ok(json!(outline::code_actions(&analysis, &uri, start, end)))
            }
            #[cfg(test)]
            "infra/panic" => panic!("a request that fails"),
            _ => Err((ErrorCode::MethodNotFound, format!("no method `{method}`"))),
        }
    }

    fn text_of(&self, uri: &Url) -> Result<String, (ErrorCode, String)> {
        self.docs
            .get(uri)
            .map(|d| d.text.clone())
            .ok_or_else(|| (ErrorCode::InvalidParams, format!("`{uri}` is not open")))
    }

    fn at_position(
        &mut self,
        at: &TextDocumentPositionParams,
        f: impl FnOnce(&Analysis, crate::sema::check::ModuleId, usize) -> Option<Value>,
    ) -> Option<Value> {
        let (analysis, text) = self.analysis_of(&at.text_document.uri)?;
        let offset = Self::offset_in(&analysis, &text, at.position)?;
        let module = analysis.program()?.entry;
        let value = f(&analysis, module, offset)?;
        if analysis.text == text {
            return Some(value);
        }
        // Ranges in this document were found in an older text: mapped back,
        // or dropped.
        Some(remap_ranges(
            value,
            &at.text_document.uri,
            &analysis.text,
            &text,
        ))
    }

    /// Analyses that may read `symbol`: every open document's, and those
    /// of the workspace's other `.infra` files.
    fn analyses_for_references(&mut self) -> Vec<Rc<Analysis>> {
        let uris: Vec<Url> = self.docs.keys().cloned().collect();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for uri in uris {
            if let Some((a, _)) = self.analysis_of(&uri) {
                seen.insert(a.path.clone());
                out.push(a);
            }
        }
        let overlay = self.overlay();
        for root in self.roots.clone() {
            let Ok(files) = crate::workspace::expand(&[root]) else {
                continue;
            };
            for file in files.into_iter().take(500) {
                let path = file.canonicalize().unwrap_or(file);
                if path.starts_with(analysis::cache_dir()) || !seen.insert(path.clone()) {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                out.push(Rc::new(analyse(
                    &path,
                    &text,
                    overlay.clone(),
                    &self.targets,
                )));
            }
        }
        out
    }

    fn symbol_at(&mut self, at: &TextDocumentPositionParams) -> Option<query::Symbol> {
        let (analysis, text) = self.analysis_of(&at.text_document.uri)?;
        let offset = Self::offset_in(&analysis, &text, at.position)?;
        query::symbol_at(&analysis, analysis.program()?.entry, offset)
    }

    /// Every place the symbol at `at` is written, by file, deduplicated.
    fn occurrences(&mut self, symbol: &query::Symbol) -> Vec<Location> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for analysis in self.analyses_for_references() {
            for span in query::occurrences(&analysis, symbol) {
                if let Some(location) = analysis.location(span)
                    && seen.insert((
                        location.uri.to_string(),
                        location.range.start,
                        location.range.end,
                    ))
                {
                    out.push(location);
                }
            }
        }
        out.sort_by(|a, b| {
            (a.uri.as_str(), a.range.start.line, a.range.start.character).cmp(&(
                b.uri.as_str(),
                b.range.start.line,
                b.range.start.character,
            ))
        });
        out
    }

    fn references(
        &mut self,
        at: &TextDocumentPositionParams,
        declaration: bool,
    ) -> Option<Vec<Location>> {
        let symbol = self.symbol_at(at)?;
        let mut found = self.occurrences(&symbol);
        if !declaration {
            let path = symbol.url.to_file_path().ok();
            found.retain(|l| {
                let at_declaration = Some(&l.uri) == Some(&symbol.url) && {
                    let text = path
                        .as_ref()
                        .and_then(|p| {
                            self.docs
                                .get(&symbol.url)
                                .map(|d| d.text.clone())
                                .or_else(|| std::fs::read_to_string(p).ok())
                        })
                        .unwrap_or_default();
                    text::offset(&text, l.range.start) == symbol.start as usize
                };
                !at_declaration
            });
        }
        Some(found)
    }

    fn rename(
        &mut self,
        at: &TextDocumentPositionParams,
        new_name: &str,
    ) -> Result<WorkspaceEdit, (ErrorCode, String)> {
        // The reserved words of grammar/infra.pest cannot name a declaration.
        const RESERVED: &[&str] = &[
            "true",
            "false",
            "null",
            "if",
            "in",
            "import",
            "for",
            "param",
            "let",
            "resource",
            "output",
            "component",
            "native",
        ];
        let valid = new_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name.chars().all(text::is_name_char)
            && !RESERVED.contains(&new_name);
        if !valid {
            return Err((
                ErrorCode::InvalidParams,
                format!("`{new_name}` is not a name"),
            ));
        }
        let Some(symbol) = self.symbol_at(at) else {
            return Err((ErrorCode::InvalidRequest, "nothing to rename here".into()));
        };
        let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
        for location in self.occurrences(&symbol) {
            changes
                .entry(location.uri)
                .or_default()
                .push(TextEdit::new(location.range, new_name.to_string()));
        }
        if let Some((analysis, _)) = self.analysis_of(&at.text_document.uri)
            && let Some((url, edit)) = query::renamed_from_edit(&analysis, &symbol)
        {
            changes.entry(url).or_default().push(edit);
        }
        Ok(WorkspaceEdit {
            changes: Some(changes),
            ..Default::default()
        })
    }

    fn completion(&mut self, at: &TextDocumentPositionParams) -> CompletionList {
        let uri = &at.text_document.uri;
        let Some(text) = self.docs.get(uri).map(|d| d.text.clone()) else {
            return CompletionList::default();
        };
        let offset = text::offset(&text, at.position);
        let found = self.analysis_of(uri).map(|(a, _)| a);
        let path = analysis::path_of_url(uri);
        let overlay = self.overlay();
        let targets = self.targets.clone();
        // A type's schema from a small program declaring one resource of
        // it, beside the document (for its imports).
        let imports: String = (text.lines())
            .filter(|l| l.trim_start().starts_with("import "))
            .map(|l| format!("{l}\n"))
            .collect();
        let schema_of_type = |ty: &str| -> Option<(Analysis, usize)> {
            let dir = path.as_ref()?.parent()?;
            let probe = dir.join(".infra-completion.infra");
            let written = if ty.contains("::") || !ty.contains('.') && ty.contains('_') {
                format!("\"{ty}\"")
            } else {
                ty.to_string()
            };
            let source = format!("{imports}resource completion_probe: {written} {{}}\n");
            let found = analyse(&probe, &source, overlay.clone(), &targets);
            let program = found.program()?;
            let ast = &program.modules[program.entry.0 as usize];
            let schema = ast.items.iter().find_map(|i| match &i.kind {
                crate::syntax::ast::ItemKind::Resource(r) => program.schema_of(program.entry, r),
                _ => None,
            })?;
            Some((found, schema.0 as usize))
        };
        let cx = complete::Context {
            text: &text,
            offset,
            analysis: found.as_deref(),
            targets: &self.targets,
            schema_of_type: &schema_of_type,
        };
        complete::complete(&cx)
    }
}

/// Moves the ranges of `uri` in a result found in an older text of the
/// document to where they are now; those in the changed part are dropped.
fn remap_ranges(value: Value, uri: &Url, old: &str, new: &str) -> Value {
    let Ok(location) = serde_json::from_value::<Location>(value.clone()) else {
        return value;
    };
    if &location.uri != uri {
        return value;
    }
    let map = |p: Position| {
        text::map_back(old, new, text::offset(old, p)).map(|o| text::position(new, o))
    };
    match (map(location.range.start), map(location.range.end)) {
        (Some(start), Some(end)) => json!(Location::new(location.uri, Range::new(start, end))),
        _ => Value::Null,
    }
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), ":".into(), " ".into()]),
                ..Default::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            ..Default::default()
        },
        server_info: Some(ServerInfo {
            name: "infra".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn request(id: i32, method: &str, params: Value) -> Message {
        Message::Request(Request::new(RequestId::from(id), method.into(), params))
    }

    #[test]
    fn a_panic_answers_its_request_with_an_error_and_the_server_goes_on() {
        let out = Shared::default();
        let mut server = Server::new(Box::new(out.clone()));
        let (sender, receiver) = mpsc::channel();
        for message in [
            request(1, "initialize", json!({ "capabilities": {} })),
            request(2, "infra/panic", Value::Null),
            request(3, "shutdown", Value::Null),
        ] {
            sender.send(Incoming::Message(message)).unwrap();
        }
        sender
            .send(Incoming::Message(Message::Notification(Notification::new(
                "exit".into(),
                Value::Null,
            ))))
            .unwrap();
        assert_eq!(server.serve(&receiver), 0, "exit after shutdown");
        let written = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let mut input = std::io::Cursor::new(written.into_bytes());
        let mut responses = Vec::new();
        while let Incoming::Message(Message::Response(r)) = read_frame(&mut input) {
            responses.push(r);
        }
        assert_eq!(responses.len(), 3);
        let failed = responses[1].error.as_ref().expect("an error");
        assert_eq!(failed.code, ErrorCode::InternalError as i32);
        assert!(failed.message.contains("infra/panic"));
        assert!(
            responses[2].error.is_none(),
            "shutdown is answered after the panic"
        );
    }

    #[test]
    fn frames_that_are_not_messages_are_reported_and_skipped() {
        let text = "garbage line\r\n\r\nContent-Length: 3\r\n\r\n{x}Content-Length: 44\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\"}  ";
        let mut input = std::io::Cursor::new(text.as_bytes().to_vec());
        assert!(matches!(read_frame(&mut input), Incoming::Invalid(_)));
        assert!(matches!(read_frame(&mut input), Incoming::Invalid(_)));
        let Incoming::Message(Message::Request(r)) = read_frame(&mut input) else {
            panic!("the request after them is read");
        };
        assert_eq!(r.method, "shutdown");
    }
}
