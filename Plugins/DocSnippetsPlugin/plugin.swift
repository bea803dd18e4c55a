import Foundation
import PackagePlugin

/// Compiles the documentation's code: every ```swift block of README.md and Docs/*.md
/// becomes a Swift file of the target this plugin is applied to (DocSnippetTests).
@main
struct DocSnippetsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "Docs/\($0)" }
        let documents = ["README.md"] + docs
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("Snippets")
        // The outputs must be named before the tool runs: one file per block, named as the
        // tool names it (`docs_autograd_2.swift`), and the index.
        var outputs = [output.appendingPathComponent("DocSnippetIndex.swift")]
        for path in documents {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            let blocks = text.components(separatedBy: "\n").filter { $0.trimmingCharacters(in: .whitespaces) == "```swift" }.count
            let name = path.replacingOccurrences(of: ".md", with: "").lowercased()
                .map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            outputs += (0..<blocks).map { output.appendingPathComponent("\(name)_\($0 + 1).swift") }
        }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        return [.buildCommand(displayName: "Extracting the documentation's Swift code",
                              executable: try context.tool(named: "DocSnippetExtractor").url,
                              arguments: [root.path, output.path] + documents,
                              inputFiles: documents.map { root.appendingPathComponent($0) },
                              outputFiles: outputs)]
    }
}
