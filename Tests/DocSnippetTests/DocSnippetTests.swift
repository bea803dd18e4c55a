import Foundation
import Testing

/// One ```swift block of README.md or Docs/*.md, compiled into this target by the
/// DocSnippetsPlugin (see Tests/DocSnippetExtractor/main.swift for the conventions).
struct DocSnippet: Sendable, CustomTestStringConvertible {
    /// `Docs/AutoGrad.md:12`: the file and the line of the opening fence.
    let source: String
    /// False for a block marked `<!-- swift: compile-only -->`.
    let runs: Bool
    let body: @Sendable () async throws -> Void
    var testDescription: String { source }
}

/// The documentation's code cannot rot: every block compiles (this target builds), and
/// every block that needs no files beyond the repository's runs without an error.
@Suite struct DocSnippetTests {
    @Test(arguments: docSnippets.filter(\.runs))
    func runs(_ snippet: DocSnippet) async throws {
        try await snippet.body()
    }

    /// Every block of every document is in the target, and only a few are compile-only.
    @Test func everyBlockIsCompiled() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: packageDirectory.appendingPathComponent("Docs").path)
            .filter { $0.hasSuffix(".md") }.map { "Docs/\($0)" }
        var blocks = 0
        for path in ["README.md"] + docs {
            let text = try String(contentsOf: packageDirectory.appendingPathComponent(path), encoding: .utf8)
            blocks += text.components(separatedBy: "\n").filter { $0.hasPrefix("```swift") }.count
        }
        #expect(docSnippets.count == blocks, "a block opened with something other than a plain ```swift line")
        #expect(docSnippets.filter { !$0.runs }.count <= 5, "\(docSnippets.filter { !$0.runs }.map(\.source))")
    }
}

/// A value for the context of a compile-only snippet, which is never run.
func compileOnly<T>() -> T { fatalError("a compile-only snippet ran") }
