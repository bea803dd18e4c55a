import ArrayKit

// Gradients of gradients. A backward pass with `createGraph: true` runs each op's
// differentiable pullback — its rule written with Tensor ops — instead of the array pullback,
// so the gradients it returns carry a graph of their own and can be differentiated again,
// as `torch.autograd.grad(..., create_graph=True)`. Plain `backward()` (Engine.swift) never
// comes here.

/// The gradients of `output` with respect to each of `inputs`, as
/// `torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, create_graph)`. Unlike
/// ``Tensor/backward(seed:retainGraph:)`` it returns the gradients instead of adding them to
/// `grad`, and leaves every `grad` as it was.
///
/// - `seed` weights the output (PyTorch's `grad_outputs`); it may be left out only for a
///   one-element output. With `createGraph` it may itself require a gradient.
/// - `createGraph`: record the backward pass, so the gradients returned can be
///   differentiated again (Hessian-vector products, gradient penalties). Every built-in op
///   supports it; a custom op made without a `differentiablePullback` stops the pass with a
///   message naming it.
/// - `retainGraph` (default: `createGraph`): keep the graph below `output` for another pass.
///   A recorded gradient reads the forward graph, so differentiating it needs that graph kept.
///
/// `inputs` may be leaves or intermediate tensors; each must require a gradient. One that
/// `output` does not depend on gets zeros (as PyTorch's `materialize_grads=True`).
///
/// ```swift
/// let x = Tensor<Double>([1, 2, 3], shape: [3], requiresGrad: true)
/// let y = (x * x * x).sum()                                      // Σ x³
/// let g = grad(of: y, withRespectTo: [x], createGraph: true)[0]  // 3x²  [3, 12, 27]
/// let h = grad(of: g.sum(), withRespectTo: [x])[0]               // 6x   [6, 12, 18]
/// ```
public func grad<Scalar>(of output: Tensor<Scalar>, withRespectTo inputs: [Tensor<Scalar>],
                         seed: Tensor<Scalar>? = nil, createGraph: Bool = false,
                         retainGraph: Bool? = nil) -> [Tensor<Scalar>] {
    for (index, input) in inputs.enumerated() {
        precondition(input.requiresGrad,
                     "grad: input \(index) (shape \(shapeText(input.shape))) does not require a gradient; "
                     + "set requiresGrad on it before the forward pass")
    }
    _ = output.checkedSeed(seed?.data, caller: "grad")
    let seed = seed ?? Tensor(.ones(output.shape))
    let wanted = Set(inputs.map(ObjectIdentifier.init))
    let retain = retainGraph ?? createGraph
    if createGraph {
        let found = output.recordedGradients(seed: seed, isWanted: { wanted.contains(ObjectIdentifier($0)) },
                                             retainGraph: retain)
        return inputs.map { found[ObjectIdentifier($0)]?.gradient ?? Tensor(.zeros($0.shape)) }
    }
    let found = output.arrayGradients(seed: seed.data, isWanted: { wanted.contains(ObjectIdentifier($0)) },
                                      retainGraph: retain)
    return inputs.map { Tensor(found[ObjectIdentifier($0)]?.gradient ?? .zeros($0.shape)) }
}

extension Tensor {
    /// ``backward(seed:retainGraph:)`` that can record its own graph, as
    /// `loss.backward(create_graph=True)`: with `createGraph` every leaf's gradient is also
    /// kept as a tensor with a graph, ``differentiableGrad``, which can be differentiated
    /// again (``grad`` holds its values). `retainGraph` defaults to `createGraph`. Without
    /// `createGraph` this is the plain fast `backward`.
    ///
    /// A recorded gradient refers back to its leaf, so the two keep each other alive until
    /// ``zeroGrad()``; ``grad(of:withRespectTo:seed:createGraph:retainGraph:)``, which returns
    /// the gradients instead, has no such cycle.
    ///
    /// ```swift
    /// let w = Tensor<Double>([1, 2], shape: [2], requiresGrad: true)
    /// (w * w * w).sum().backward(createGraph: true)     // w.grad = 3w² = [3, 12]
    /// let penalty = w.differentiableGrad!.pow(2).sum()  // Σ (3w²)²
    /// w.zeroGrad()
    /// penalty.backward()                                // w.grad = 36 w³ = [36, 288]
    /// ```
    public func backward(seed: NDArray<Scalar>? = nil, retainGraph: Bool? = nil, createGraph: Bool) {
        guard createGraph else {
            backward(seed: seed, retainGraph: retainGraph ?? false)
            return
        }
        let seed = checkedSeed(seed, caller: "backward") ?? .ones(shape)
        let found = recordedGradients(seed: Tensor(seed), isWanted: { $0.isLeaf && $0.requiresGrad },
                                      retainGraph: retainGraph ?? true)
        GradMode.$isEnabled.withValue(true) {
            for (leaf, gradient) in found.values {
                let total: Tensor
                if let previous = leaf.differentiableGrad {
                    total = previous + gradient
                } else if let previous = leaf.grad {
                    total = Tensor(previous) + gradient
                } else {
                    total = gradient
                }
                leaf.differentiableGrad = total
                leaf.grad = total.data
            }
        }
    }

    /// `seed` checked against this tensor's shape; `nil` (meaning ones) only for one element.
    func checkedSeed(_ seed: NDArray<Scalar>?, caller: String) -> NDArray<Scalar>? {
        precondition(requiresGrad,
                     "\(caller): the tensor of shape \(shapeText(shape)) does not require a gradient; "
                     + "no input of its graph has requiresGrad set (or it was made inside withNoGrad)")
        guard let seed else {
            precondition(data.count == 1,
                         "\(caller): a seed gradient is needed for a tensor of shape \(shapeText(shape)) "
                         + "(only a one-element tensor defaults to 1)")
            return nil
        }
        precondition(seed.shape == shape,
                     "\(caller): seed of shape \(shapeText(seed.shape)) for a tensor of shape \(shapeText(shape))")
        return seed
    }

    /// The gradients of `self` weighted by `seed` for the tensors `isWanted` accepts, by the
    /// differentiable pullbacks, recorded (grad mode on, whatever the caller's).
    func recordedGradients(seed: Tensor, isWanted: (Tensor) -> Bool, retainGraph: Bool)
        -> [ObjectIdentifier: (tensor: Tensor, gradient: Tensor)] {
        GradMode.$isEnabled.withValue(true) {
            walkBackward(seed: seed, isWanted: isWanted, retainGraph: retainGraph, shape: \.shape,
                         pull: { node, g in
                             guard let rule = node.differentiablePullback else {
                                 preconditionFailure("createGraph: the op \"\(node.name)\" has no differentiable pullback, so its "
                                                     + "backward pass cannot be recorded and its second derivative is not available; "
                                                     + "make it with Tensor.result(of:data:inputs:pullback:differentiablePullback:)")
                             }
                             return rule(g, node.inputs)
                         },
                         reduce: { $0.reduced(toShape: $1) }, add: { $0 + $1 })
        }
    }

    /// The gradients of `self` weighted by `seed` for the tensors `isWanted` accepts, by the
    /// array pullbacks (nothing recorded).
    func arrayGradients(seed: NDArray<Scalar>, isWanted: (Tensor) -> Bool, retainGraph: Bool)
        -> [ObjectIdentifier: (tensor: Tensor, gradient: NDArray<Scalar>)] {
        walkBackward(seed: seed, isWanted: isWanted, retainGraph: retainGraph, shape: \.shape,
                     pull: { node, g in node.pullback.unsafelyUnwrapped(g) },
                     reduce: { $0.reduced(toShape: $1) }, add: { $0 + $1 })
    }

    /// The reverse walk behind ``grad(of:withRespectTo:seed:createGraph:retainGraph:)``, for
    /// gradients of either kind `G` (arrays, or tensors being recorded): the order of
    /// ``backward(seed:retainGraph:)``, but only through ops that lead to a wanted tensor, and
    /// the gradients of the wanted ones returned instead of accumulated into `grad`.
    func walkBackward<G>(seed: G, isWanted: (Tensor) -> Bool, retainGraph: Bool, shape: (G) -> [Int],
                         pull: (Node<Scalar>, G) -> [G?], reduce: (G, [Int]) -> G, add: (G, G) -> G)
        -> [ObjectIdentifier: (tensor: Tensor, gradient: G)] {
        var found: [ObjectIdentifier: (tensor: Tensor, gradient: G)] = [:]
        if isWanted(self) { found[ObjectIdentifier(self)] = (self, seed) }
        guard node != nil else { return found }
        let order = topologicalOrder()
        // The ops whose pullback must run: those with an input that is wanted or leads to one.
        var leads = Set<ObjectIdentifier>()
        func matters(_ input: Tensor) -> Bool {
            input.requiresGrad && (isWanted(input) || leads.contains(ObjectIdentifier(input)))
        }
        for tensor in order {
            let node = tensor.node.unsafelyUnwrapped
            // A freed node no longer knows its inputs: it counts as leading, so that a gradient
            // reaching it stops the pass below instead of being dropped without a word.
            if node.isReleased || node.inputs.contains(where: matters) { leads.insert(ObjectIdentifier(tensor)) }
        }
        var pending: [ObjectIdentifier: G] = [ObjectIdentifier(self): seed]
        for tensor in order.reversed() {
            let node = tensor.node.unsafelyUnwrapped
            let key = ObjectIdentifier(tensor)
            guard leads.contains(key), let gradient = pending.removeValue(forKey: key) else {
                if !retainGraph { node.release() }
                continue
            }
            guard node.pullback != nil else {
                preconditionFailure("grad: the graph through \(node.name) was freed by an earlier backward pass; "
                                    + "pass retainGraph: true to the first call to go through it twice")
            }
            let inputGradients = pull(node, gradient)
            let inputs = node.inputs
            if !retainGraph { node.release() }
            for (input, inputGradient) in zip(inputs, inputGradients) {
                guard var g = inputGradient, matters(input) else { continue }
                if shape(g) != input.shape { g = reduce(g, input.shape) }
                let inputKey = ObjectIdentifier(input)
                if isWanted(input) {
                    found[inputKey] = (input, found[inputKey].map { add($0.gradient, g) } ?? g)
                }
                if input.node != nil, leads.contains(inputKey) {
                    pending[inputKey] = pending[inputKey].map { add($0, g) } ?? g
                }
            }
        }
        return found
    }
}

/// Hessian-vector products of a scalar at one point, by Pearlmutter's trick: the gradient
/// g = ∇f is recorded once (`createGraph`), and each product H v is the gradient of ⟨g, v⟩,
/// one backward pass through the recorded gradient. The Hessian is never formed, so this
/// works for a model of any size (power iteration for the sharpness λ_max uses it).
///
/// ```swift
/// let loss = crossEntropy(logits: model(x), labels: y)
/// let hvp = HessianVectorProducts(of: loss, withRespectTo: model.parameters())
/// let hv = hvp(model.parameters().map { NDArray.ones($0.shape) })   // H·1, one array per parameter
/// ```
public struct HessianVectorProducts<Scalar: NDScalar> {
    /// The parameters the Hessian is taken over.
    public let parameters: [Tensor<Scalar>]
    /// ∇f, one recorded tensor per parameter.
    public let gradient: [Tensor<Scalar>]

    /// Records the gradient of the one-element `output`; the graph below it is kept for
    /// the products.
    public init(of output: Tensor<Scalar>, withRespectTo parameters: [Tensor<Scalar>]) {
        precondition(output.data.count == 1,
                     "HessianVectorProducts: the output must have one element (a loss), got shape \(shapeText(output.shape))")
        self.parameters = parameters
        self.gradient = grad(of: output, withRespectTo: parameters, createGraph: true)
    }

    /// H v, for `vector` given as one array per parameter (in the order of ``parameters``).
    public func callAsFunction(_ vector: [NDArray<Scalar>]) -> [NDArray<Scalar>] {
        precondition(vector.count == parameters.count,
                     "HessianVectorProducts: \(vector.count) arrays for \(parameters.count) parameters")
        let product: Tensor<Scalar>? = GradMode.$isEnabled.withValue(true) {
            var sum: Tensor<Scalar>?
            for (g, v) in zip(gradient, vector) where g.requiresGrad {
                precondition(v.shape == g.shape,
                             "HessianVectorProducts: vector part \(shapeText(v.shape)) for a parameter of shape \(shapeText(g.shape))")
                let term = (g * Tensor(v)).sum()
                sum = sum.map { $0 + term } ?? term
            }
            return sum
        }
        // A gradient that depends on no parameter: f is at most linear there, H v = 0.
        guard let product else { return parameters.map { .zeros($0.shape) } }
        return grad(of: product, withRespectTo: parameters, retainGraph: true).map(\.data)
    }
}
