import ArrayKit

/// One recorded op: the tensors it read and its pullback, which maps the gradient of
/// the op's output to one gradient per input (in input order; `nil` where an input
/// needs none). The engine sums each gradient back to its input's shape, so a
/// broadcasting op may return gradients of the broadcast shape.
///
/// An op may also carry a *differentiable pullback*: the same rule written with `Tensor`
/// ops, so that a backward pass run with `createGraph: true` (``grad(of:withRespectTo:seed:createGraph:retainGraph:)``)
/// records its own graph and can be differentiated again. Plain `backward()` never calls it.
///
/// A pullback captures arrays (values), never the output tensor or its node: that would
/// be a reference cycle and leak every graph. A differentiable pullback is handed the
/// op's inputs instead of capturing them, for the same reason.
public final class Node<Scalar: NDScalar> {
    /// Maps the output gradient, which it owns and may change in place, to one gradient
    /// per input.
    public typealias Pullback = (consuming NDArray<Scalar>) -> [NDArray<Scalar>?]
    /// Maps the output gradient and the op's inputs, as tensors, to one gradient per input,
    /// computed with `Tensor` ops so that the result is itself recorded. A rule that needs the
    /// op's output recomputes it from the inputs (as `exp` does): holding the output would be
    /// a reference cycle, and a constant copy of it would make the second derivative wrong.
    public typealias DifferentiablePullback = (_ gradient: Tensor<Scalar>, _ inputs: [Tensor<Scalar>]) -> [Tensor<Scalar>?]

    /// The op's name, for messages (`"matmul"`, `"relu"`, …).
    public let name: String
    @usableFromInline var inputs: [Tensor<Scalar>]
    @usableFromInline var pullback: Pullback?
    @usableFromInline var differentiablePullback: DifferentiablePullback?
    /// The gradient gathered so far for the output while `backward()` runs.
    @usableFromInline var gradient: NDArray<Scalar>?

    @usableFromInline
    init(_ name: String, inputs: [Tensor<Scalar>], pullback: @escaping Pullback,
         differentiablePullback: DifferentiablePullback?) {
        self.name = name
        self.inputs = inputs
        self.pullback = pullback
        self.differentiablePullback = differentiablePullback
    }

    /// The tensors the op read; empty once the graph has been freed.
    public var parents: [Tensor<Scalar>] { inputs }
    /// True once `backward()` has freed this part of the graph.
    public var isReleased: Bool { pullback == nil }
    /// Whether the op's backward pass can be recorded (`createGraph: true`), so that it
    /// can be differentiated twice; true for every built-in op.
    public var hasDifferentiablePullback: Bool { differentiablePullback != nil }

    /// Drops the inputs and the arrays the pullback saved.
    @usableFromInline
    func release() {
        inputs = []
        pullback = nil
        differentiablePullback = nil
    }

    // A graph dropped without backward() (or kept with retainGraph) would be freed by a
    // recursive chain of deinits, one stack frame per op: a 100,000-op chain would
    // overflow the stack. Unlink the chain here with an explicit worklist instead.
    deinit {
        guard !inputs.isEmpty else { return }
        var pending = inputs
        inputs = []
        while var tensor = pending.popLast() {
            // Only a tensor nobody else holds dies now; steal its inputs so its own
            // deinit has nothing left to recurse into.
            if isKnownUniquelyReferenced(&tensor), let node = tensor.node, !node.inputs.isEmpty {
                pending.append(contentsOf: node.inputs)
                node.inputs = []
            }
        }
    }
}

extension Tensor {
    /// Records the result of an op: a tensor holding `data` whose node remembers
    /// `inputs` and `pullback`, or a plain constant when no input requires a gradient or
    /// inside ``withNoGrad(_:)``. Every op is built on this; so can new ones be.
    ///
    /// `differentiablePullback` is the same rule written with `Tensor` ops, taking the output
    /// gradient and the op's inputs as tensors; it is what a backward pass with
    /// `createGraph: true` runs, so that gradients of gradients work. Without it the op
    /// differentiates once, and a `createGraph: true` pass through it stops with a message
    /// naming the op.
    ///
    /// ```swift
    /// // y = 3x, as a custom op
    /// let y = Tensor.result(of: "triple", data: x.data * 3, inputs: [x]) { g in
    ///     [g * 3]
    /// } differentiablePullback: { g, _ in
    ///     [g * 3]
    /// }
    /// ```
    @inlinable
    public static func result(of op: String, data: NDArray<Scalar>, inputs: [Tensor<Scalar>],
                              pullback: @escaping Node<Scalar>.Pullback,
                              differentiablePullback: Node<Scalar>.DifferentiablePullback? = nil) -> Tensor<Scalar> {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return Tensor(data) }
        return Tensor(data, node: Node(op, inputs: inputs, pullback: pullback,
                                       differentiablePullback: differentiablePullback))
    }

    /// Back-propagates from this tensor: adds ∂self/∂leaf, weighted by `seed`, to the
    /// `grad` of every leaf that requires a gradient. `seed` defaults to 1 and may be
    /// omitted only for a one-element tensor (a loss). Gradients accumulate across calls
    /// until ``zeroGrad()``, as in PyTorch. Unless `retainGraph` is true the graph is
    /// freed as it is walked, so a second `backward()` through it is an error.
    ///
    /// This is the fast path: pullbacks on arrays, nothing recorded. To differentiate the
    /// gradient again use ``backward(seed:retainGraph:createGraph:)`` or
    /// ``grad(of:withRespectTo:seed:createGraph:retainGraph:)``.
    ///
    /// ```swift
    /// let loss = crossEntropy(logits: model(x), labels: y)
    /// loss.backward()
    /// ```
    @inlinable
    public func backward(seed: NDArray<Scalar>? = nil, retainGraph: Bool = false) {
        precondition(requiresGrad,
                     "backward: the tensor of shape \(shapeText(shape)) does not require a gradient; "
                     + "no input of its graph has requiresGrad set (or it was made inside withNoGrad)")
        if seed == nil {
            precondition(data.count == 1,
                         "backward: a seed gradient is needed for a tensor of shape \(shapeText(shape)) "
                         + "(only a one-element tensor defaults to 1)")
        }
        let seed = seed ?? .ones(shape)
        precondition(seed.shape == shape,
                     "backward: seed of shape \(shapeText(seed.shape)) for a tensor of shape \(shapeText(shape))")
        guard let root = node else {
            Tensor.accumulate(seed, into: &grad)
            return
        }
        let order = topologicalOrder()
        root.gradient = seed
        // Reverse topological order: every node's gradient is complete before its pullback runs.
        for tensor in order.reversed() {
            let node = tensor.node.unsafelyUnwrapped
            guard let gradient = node.gradient else {
                if !retainGraph { node.release() }
                continue
            }
            node.gradient = nil
            guard let pullback = node.pullback else {
                preconditionFailure("backward: the graph through \(node.name) was freed by an earlier "
                                    + "backward(); pass retainGraph: true to the first call to go through it twice")
            }
            let inputGradients = pullback(gradient)
            let inputs = node.inputs
            if !retainGraph { node.release() }
            for (input, inputGradient) in zip(inputs, inputGradients) {
                guard var g = inputGradient, input.requiresGrad else { continue }
                if g.shape != input.shape { g = g.reduced(toShape: input.shape) }
                if let inputNode = input.node {
                    Tensor.accumulate(g, into: &inputNode.gradient)
                } else {
                    Tensor.accumulate(g, into: &input.grad)
                    input.differentiableGrad = nil   // no longer the whole of grad
                }
            }
        }
    }

    /// Adds `gradient` to `slot` in place, or stores it when the slot is empty.
    @inlinable
    static func accumulate(_ gradient: NDArray<Scalar>, into slot: inout NDArray<Scalar>?) {
        if slot != nil {
            slot! += gradient
        } else {
            slot = gradient
        }
    }

    /// The non-leaf tensors of the graph below `self`, inputs before the ops that read
    /// them, by an explicit depth-first stack (recursion would overflow on deep graphs).
    @usableFromInline
    func topologicalOrder() -> [Tensor<Scalar>] {
        var order: [Tensor<Scalar>] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        var stack: [(tensor: Tensor<Scalar>, next: Int)] = [(self, 0)]
        while let (tensor, next) = stack.last {
            let inputs = tensor.node.unsafelyUnwrapped.inputs
            if next < inputs.count {
                stack[stack.count - 1].next = next + 1
                let input = inputs[next]
                if input.node != nil, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
                stack.removeLast()
            }
        }
        return order
    }
}
