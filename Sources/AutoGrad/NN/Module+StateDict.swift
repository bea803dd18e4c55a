import ArrayKit

extension Module {
    /// Copies `entries` into this module's parameters and buffers by name, as PyTorch's
    /// `load_state_dict(strict:)`: a wrong shape always throws, a missing or unexpected
    /// key throws when `strict`. Nothing changes when it throws.
    ///
    /// ```swift
    /// let file = try Safetensors.read(contentsOf: url)
    /// try model.load(stateDict: file.orderedArrays(as: Float.self).map { ($0.name, $0.array) })
    /// ```
    @discardableResult
    public func load(stateDict entries: [(String, NDArray<Scalar>)], strict: Bool = true)
        throws(StateDictError) -> StateDictReport
    {
        let loaded = Dictionary(entries, uniquingKeysWith: { _, last in last })
        let own = stateDict()
        let report = try StateDict.check(loaded: loaded, expected: own.map { ($0.name, $0.tensor.shape) },
                                         strict: strict)
        for (name, tensor) in own {
            if let value = loaded[name] { tensor.data = value }
        }
        return report
    }
}
