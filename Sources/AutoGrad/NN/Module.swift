import ArrayKit

extension nn {
    /// The base of every layer, in the role of `torch.nn.Module`: it owns parameters
    /// (trained), buffers (state that is saved but not trained, such as running statistics)
    /// and child modules, all in registration order, so that names come out as PyTorch's
    /// (`"0.weight"`, `"1.running_mean"`, …). Subclasses register what they own in their
    /// initializer and override ``forward(_:)``.
    ///
    /// ```swift
    /// final class Affine: nn.Module<Float> {
    ///     let scale = Tensor(NDArray<Float>.ones([4]), requiresGrad: true)
    ///     override init() { super.init(); register(parameter: scale, named: "scale") }
    ///     override func forward(_ x: Tensor<Float>) -> Tensor<Float> { x * scale }
    /// }
    /// ```
    open class Module<Scalar: NDScalar> {
        /// Whether the module is in training mode (batch statistics, dropout) rather than
        /// evaluation mode; set through ``train(_:)`` and ``eval()``.
        public private(set) var isTraining = true
        private var ownParameters: [(name: String, tensor: Tensor<Scalar>)] = []
        private var ownBuffers: [(name: String, tensor: Tensor<Scalar>)] = []
        private var children: [(name: String, module: Module<Scalar>)] = []

        /// A module with no parameters, buffers or children yet; a subclass registers its own.
        public init() {}

        /// Records a trained tensor under `name`. It should require a gradient.
        public func register(parameter: Tensor<Scalar>, named name: String) {
            precondition(!ownNames.contains(name), "register(parameter:named:): \(type(of: self)) already has \"\(name)\"")
            ownParameters.append((name, parameter))
        }

        /// Records saved, untrained state under `name` (e.g. running statistics).
        public func register(buffer: Tensor<Scalar>, named name: String) {
            precondition(!ownNames.contains(name), "register(buffer:named:): \(type(of: self)) already has \"\(name)\"")
            ownBuffers.append((name, buffer))
        }

        /// Records a child module under `name`; its entries are named `"name.…"`.
        public func register(module: Module<Scalar>, named name: String) {
            precondition(!ownNames.contains(name), "register(module:named:): \(type(of: self)) already has \"\(name)\"")
            children.append((name, module))
        }

        private var ownNames: [String] {
            ownParameters.map(\.name) + ownBuffers.map(\.name) + children.map(\.name)
        }

        /// The layer's computation. Subclasses override it.
        ///
        /// A call through the class's vtable cannot be specialized by the caller, so without
        /// help an override would run generic code, one witness call per element. Overrides
        /// that run element loops carry `@_specialize(where Scalar == Float)` (and `Double`):
        /// the generic entry then jumps to a compiled-for-Float body, and the ops inlined into
        /// it specialize too. Without any, `train-autograd` spends 3× the CPU time per epoch;
        /// `nn.Sequential`, which only calls its children, needs none (measured: no change).
        open func forward(_ input: Tensor<Scalar>) -> Tensor<Scalar> {
            preconditionFailure("\(type(of: self)) must override forward(_:)")
        }

        /// Runs ``forward(_:)``, so a module is called like a function.
        ///
        /// ```swift
        /// let logits = model(x)
        /// ```
        public func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar> { forward(input) }

        /// Every parameter with its dotted name, own parameters first, then each child's in
        /// registration order, as `named_parameters()`.
        ///
        /// ```swift
        /// model.namedParameters().map(\.name)   // ["0.weight", "0.bias", "2.weight", "2.bias"]
        /// ```
        public func namedParameters() -> [(name: String, tensor: Tensor<Scalar>)] {
            collect(\.ownParameters)
        }

        /// Every parameter, in the order of ``namedParameters()``: what an optimizer updates.
        public func parameters() -> [Tensor<Scalar>] { namedParameters().map(\.tensor) }

        /// Every buffer with its dotted name, as `named_buffers()`.
        public func namedBuffers() -> [(name: String, tensor: Tensor<Scalar>)] {
            collect(\.ownBuffers)
        }

        /// Parameters and buffers by name, in PyTorch's `state_dict()` order: each module's
        /// parameters, then its buffers, then its children's entries.
        ///
        /// ```swift
        /// let entries = model.stateDict()       // [("0.weight", tensor), ("0.bias", tensor), …]
        /// ```
        public func stateDict() -> [(name: String, tensor: Tensor<Scalar>)] {
            var entries = ownParameters + ownBuffers
            for (name, child) in children {
                entries += child.stateDict().map { ("\(name).\($0.name)", $0.tensor) }
            }
            return entries
        }

        /// The direct children with their names, in registration order.
        public func namedChildren() -> [(name: String, module: Module<Scalar>)] { children }

        private func collect(_ own: KeyPath<Module, [(name: String, tensor: Tensor<Scalar>)]>)
            -> [(name: String, tensor: Tensor<Scalar>)] {
            var entries = self[keyPath: own]
            for (name, child) in children {
                entries += child.collect(own).map { ("\(name).\($0.name)", $0.tensor) }
            }
            return entries
        }

        /// Switches this module and its children to training mode (or evaluation mode when
        /// `mode` is false), as `module.train(mode)`.
        public func train(_ mode: Bool = true) {
            isTraining = mode
            for (_, child) in children { child.train(mode) }
        }

        /// Switches to evaluation mode: running statistics, no dropout.
        ///
        /// ```swift
        /// model.eval()
        /// let predictions = withNoGrad { model(x) }
        /// ```
        public func eval() { train(false) }

        /// Forgets every parameter's gradient.
        public func zeroGrad() {
            for parameter in parameters() { parameter.zeroGrad() }
        }
    }
}
