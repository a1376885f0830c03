// Starts `infra lsp` for `.infra` files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("infra");
  const command = config.get("path") || "infra";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "infra",
    "Infra",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "infra" }],
      initializationOptions: { targets: config.get("targets") || [] },
      synchronize: { configurationSection: "infra" },
    }
  );
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
