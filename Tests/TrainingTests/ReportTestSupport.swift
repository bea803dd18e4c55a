import Foundation
import Testing

/// A fresh directory under the system's temporary directory, removed by the caller.
func makeScratchDirectory(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("backprop-tests-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Where chart tests leave their SVGs for a human to look at (rendered with rsvg-convert).
let previewDirectory: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-report-previews")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Parses `svg` with Python's XML parser (an independent implementation) and returns the
/// root tag and the number of elements, or the parser's error text.
func parseWithPython(_ svg: String, name: String) throws -> (root: String, elements: Int) {
    let file = previewDirectory.appendingPathComponent(name)
    try Data(svg.utf8).write(to: file)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import sys, xml.etree.ElementTree as E
        root = E.parse(sys.argv[1]).getroot()
        print(root.tag, sum(1 for _ in root.iter()))
        """, file.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0, "python could not parse \(file.path): \(errorText)")
    let words = text.split(separator: " ")
    return (words.first.map(String.init) ?? "", words.count > 1 ? Int(words[1].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0)
}

/// Every `attr="…"` value in `svg` for the named attribute.
func attributeValues(_ attribute: String, in svg: String) -> [String] {
    var values: [String] = []
    var rest = Substring(svg)
    let marker = " \(attribute)=\""
    while let start = rest.range(of: marker) {
        rest = rest[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { break }
        values.append(String(rest[..<end]))
        rest = rest[end...]
    }
    return values
}

/// The text content of every `<text>` element.
func textContents(in svg: String) -> [String] {
    var values: [String] = []
    var rest = Substring(svg)
    while let open = rest.range(of: "<text "), let close = rest[open.upperBound...].firstIndex(of: ">"),
          let end = rest[close...].range(of: "</text>") {
        values.append(String(rest[rest.index(after: close)..<end.lowerBound]))
        rest = rest[end.upperBound...]
    }
    return values
}
