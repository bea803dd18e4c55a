import Foundation

/// Runs Python references (NumPy; `pip install safetensors`) through `python3`, when it is
/// installed; the cross-language tests (.npy, safetensors, PyTorch layouts) are skipped
/// otherwise. Shared by the test targets that compare against Python.
public enum ReferencePython {
    /// The `python3` on `PATH`, if any.
    public static let executable: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Whether `python3` can import numpy and safetensors.
    public static let hasSafetensors: Bool = (try? run("import numpy, safetensors.numpy")) != nil

    /// Runs `script` with `arguments` and returns its standard output; throws when it fails.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> Data {
        guard let executable else { throw PythonFailure(message: "no python3 on PATH") }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-c", script] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PythonFailure(message: String(decoding: message, as: UTF8.self))
        }
        return data
    }

    /// A script that failed, with its standard error.
    public struct PythonFailure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }
}
