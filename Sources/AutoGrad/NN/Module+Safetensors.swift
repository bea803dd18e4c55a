import ArrayKit
import Foundation

extension nn.Module {
    /// Writes the state dict to `url` as safetensors, the file
    /// `safetensors.torch.load_file` reads and the equivalent `torch.nn.Sequential` loads with
    /// `load_state_dict(strict=True)`: parameters and buffers as F32 (F64 for `Double`), each
    /// ``BatchNorm1d``'s `num_batches_tracked` as a scalar I64, as PyTorch stores it.
    ///
    /// ```swift
    /// try model.save(to: URL(fileURLWithPath: "model.safetensors"))
    /// ```
    public func save(to url: URL, metadata: [String: String]? = ["format": "pt"]) throws {
        try Safetensors.write(stateDict().map { ($0.name, $0.tensor.data) }, to: url, metadata: metadata,
                              integerTensors: namedIntegerBuffers().map { ($0.name, [$0.value], []) })
    }

    /// Loads a safetensors state dict — one written by ``save(to:metadata:)`` or by
    /// `safetensors.torch.save_file(model.state_dict(), …)` — with the semantics of
    /// ``load(stateDict:strict:)``. Floating-point tensors convert to `Scalar`; integer
    /// ones (a batch norm's `num_batches_tracked`) are read exactly.
    ///
    /// Throws `SafetensorsError` for a malformed file and `StateDictError` for one that
    /// does not fit the model; nothing changes when it throws.
    ///
    /// ```swift
    /// try model.load(contentsOf: URL(fileURLWithPath: "from_torch.safetensors"))
    /// ```
    @discardableResult
    public func load(contentsOf url: URL, strict: Bool = true) throws -> StateDictReport {
        let file = try Safetensors.read(contentsOf: url)
        let counterNames = Set(batchNormCounters().map(\.name))
        var arrays: [(String, NDArray<Scalar>)] = []
        var counters: [String: (values: [Int64], shape: [Int])] = [:]
        for entry in file.entries {
            if [.f32, .f64, .f16, .bf16].contains(entry.dtype) {
                arrays.append((entry.name, try file.array(named: entry.name)))
                continue
            }
            let integers = try file.integers(named: entry.name)
            if counterNames.contains(entry.name) && integers.values.count == 1 {
                counters[entry.name] = integers
            } else {
                // Cast, as PyTorch's copy into the model's tensor would; the name and shape
                // are still checked like any other entry.
                arrays.append((entry.name, NDArray(integers.values.map { Scalar($0) }, shape: integers.shape)))
            }
        }
        return try load(stateDict: arrays, counters: counters, strict: strict)
    }
}
