import ArrayKit

extension nn.Module {
    /// Copies `entries` into this module's parameters and buffers by name, as PyTorch's
    /// `load_state_dict(strict:)`: a wrong shape always throws, a missing or unexpected
    /// key throws when `strict`. Nothing changes when it throws.
    ///
    /// A ``BatchNorm1d``'s `"N.num_batches_tracked"` (an int64 in PyTorch, here a scalar
    /// array, shape `[]`) is accepted and sets its ``BatchNorm1d/numBatchesTracked``; when it
    /// is absent the count stays, as PyTorch fills it in for a state dict read from a file.
    ///
    /// ```swift
    /// let file = try Safetensors.read(contentsOf: url)
    /// try model.load(stateDict: file.orderedArrays(as: Float.self).map { ($0.name, $0.array) })
    /// ```
    @discardableResult
    public func load(stateDict entries: [(String, NDArray<Scalar>)], strict: Bool = true)
        throws(StateDictError) -> StateDictReport
    {
        try load(stateDict: entries, counters: [:], strict: strict)
    }

    /// ``load(stateDict:strict:)`` with batch counters given exactly (`counters`: name →
    /// int64 values and shape, as read from an I64 tensor, such as ``namedIntegerBuffers()`` gives).
    ///
    /// ```swift
    /// try model.load(stateDict: floats, counters: ["1.num_batches_tracked": ([40], [])], strict: true)
    /// ```
    @discardableResult
    public func load(stateDict entries: [(String, NDArray<Scalar>)],
              counters: [String: (values: [Int64], shape: [Int])], strict: Bool)
        throws(StateDictError) -> StateDictReport
    {
        let loaded = Dictionary(entries, uniquingKeysWith: { _, last in last })
        let own = stateDict()
        let norms = batchNormCounters()
        var shapes = loaded.mapValues(\.shape).merging(counters.mapValues(\.shape)) { _, exact in exact }
        // PyTorch's BatchNorm fills in a missing num_batches_tracked for a state dict that
        // carries no version (every one read from a file), so strict loading accepts its absence.
        for (name, _) in norms where shapes[name] == nil { shapes[name] = [] }
        let report = try StateDict.check(
            loaded: shapes, expected: own.map { ($0.name, $0.tensor.shape) } + norms.map { ($0.name, []) },
            strict: strict,
            nonFinite: own.compactMap { loaded[$0.name]?.nonFiniteValues(named: $0.name) })
        for (name, tensor) in own {
            if let value = loaded[name] { tensor.data = value }
        }
        for (name, norm) in norms {
            if let exact = counters[name] {
                norm.numBatchesTracked = Int(exact.values[0])
            } else if let value = loaded[name]?.scalar {
                // As PyTorch's copy into an int64 buffer: truncated toward zero.
                norm.numBatchesTracked = value.isFinite ? max(0, Int(value.rounded(.towardZero))) : 0
            }
        }
        return report
    }

    /// Every ``BatchNorm1d`` in this module's tree with the state-dict name of its batch
    /// counter (`"1.num_batches_tracked"`), in state-dict order.
    func batchNormCounters(prefix: String = "") -> [(name: String, norm: nn.BatchNorm1d<Scalar>)] {
        var found: [(name: String, norm: nn.BatchNorm1d<Scalar>)] = []
        if let norm = self as? nn.BatchNorm1d<Scalar> { found.append((prefix + "num_batches_tracked", norm)) }
        for (name, child) in namedChildren() {
            found += child.batchNormCounters(prefix: prefix + name + ".")
        }
        return found
    }

    /// PyTorch's integer buffers — each ``BatchNorm1d``'s `num_batches_tracked` — by
    /// dotted name, the entries ``stateDict()`` leaves out because they are not `Scalar`.
    ///
    /// ```swift
    /// model.namedIntegerBuffers()   // [("1.num_batches_tracked", 3)]
    /// ```
    public func namedIntegerBuffers() -> [(name: String, value: Int64)] {
        batchNormCounters().map { ($0.name, Int64($0.norm.numBatchesTracked)) }
    }
}
