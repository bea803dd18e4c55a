import ArrayKit

/// The matrix product `op(a) · op(b)`, where `op` transposes when its flag is set; a
/// transposed operand is read in place by BLAS, in the forward and the backward pass.
///
/// ```swift
/// let y = matmul(x, w, transposeB: true)    // X Wᵀ: (S, in) × (out, in)ᵀ
/// ```
@inlinable
public func matmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>,
                           transposeA: Bool = false, transposeB: Bool = false) -> Tensor<Scalar> {
    let x = a.data, y = b.data
    let needA = a.requiresGrad, needB = b.requiresGrad
    let product = blasProduct(x, y, transposeA: transposeA, transposeB: transposeB)
    return Tensor.result(of: "matmul", data: product, inputs: [a, b]) { g in
        // With C = op(A) op(B): ∂A = G op(B)ᵀ (or its transpose), ∂B = op(A)ᵀ G (or its
        // transpose); each case is one gemm with the right flags, no copies.
        // A leaf's gradient goes into the storage its zeroGrad() dropped, as in `linear`.
        var ga: NDArray<Scalar>?, gb: NDArray<Scalar>?
        switch (transposeA, transposeB) {
        case (false, false):
            if needA { ga = blasProduct(g, y, transposeB: true, reusing: a) }
            if needB { gb = blasProduct(x, g, transposeA: true, reusing: b) }
        case (false, true):
            if needA { ga = blasProduct(g, y, reusing: a) }
            if needB { gb = blasProduct(g, x, transposeA: true, reusing: b) }
        case (true, false):
            if needA { ga = blasProduct(y, g, transposeB: true, reusing: a) }
            if needB { gb = blasProduct(x, g, reusing: b) }
        case (true, true):
            if needA { ga = blasProduct(y, g, transposeA: true, transposeB: true, reusing: a) }
            if needB { gb = blasProduct(g, x, transposeA: true, transposeB: true, reusing: b) }
        }
        return [ga, gb]
    } differentiablePullback: { g, inputs in
        // The same four cases as products of tensors, so that they are recorded.
        let (a, b) = (inputs[0], inputs[1])
        let needA = a.requiresGrad, needB = b.requiresGrad
        switch (transposeA, transposeB) {
        case (false, false):
            return [needA ? matmul(g, b, transposeB: true) : nil, needB ? matmul(a, g, transposeA: true) : nil]
        case (false, true):
            return [needA ? matmul(g, b) : nil, needB ? matmul(g, a, transposeA: true) : nil]
        case (true, false):
            return [needA ? matmul(b, g, transposeB: true) : nil, needB ? matmul(a, g) : nil]
        case (true, true):
            return [needA ? matmul(b, g, transposeA: true, transposeB: true) : nil,
                    needB ? matmul(g, a, transposeA: true, transposeB: true) : nil]
        }
    }
}

extension Tensor {
    /// `self · other` for matrices.
    ///
    /// ```swift
    /// let y = x.matmul(w)
    /// ```
    @inlinable
    public func matmul(_ other: Tensor) -> Tensor { AutoGrad.matmul(self, other) }
}

/// The affine map of a linear layer, `y = x Wᵀ + b` with `weight` stored `[out, in]`, as
/// `torch.nn.functional.linear`, through ArrayKit's `NDArray.affine` (the bias is the gemm's
/// starting value). The pullback is dX = dY W, dW = dYᵀ X, db = 1ᵀ dY (assignment 2.a),
/// three passes in all.
///
/// ```swift
/// let y = linear(x, weight: w, bias: b)     // (S, in) → (S, out)
/// ```
@inlinable
public func linear<Scalar>(_ input: Tensor<Scalar>, weight: Tensor<Scalar>,
                           bias: Tensor<Scalar>? = nil) -> Tensor<Scalar> {
    let x = input.data, w = weight.data
    var y = NDArray<Scalar>.zeros([0, 0])
    NDArray.affine(x, weight: w, bias: bias?.data, into: &y)
    let needX = input.requiresGrad, needW = weight.requiresGrad, needB = bias?.requiresGrad ?? false
    let inputs = bias.map { [input, weight, $0] } ?? [input, weight]
    return Tensor.result(of: "linear", data: y, inputs: inputs) { g in
        let gx = needX ? blasProduct(g, w) : nil
        // dW and db are written into the storage of the gradients zeroGrad() dropped, when
        // there are some: the same products, without a fresh array each step.
        let gw = needW ? blasProduct(g, x, transposeA: true, reusing: weight) : nil
        var gb: NDArray<Scalar>?
        if needB, let bias {
            gb = bias.recycledGradient(shape: bias.data.shape) ?? NDArray<Scalar>.zeros([0])
            NDArray.columnSums(of: g, into: &gb!)
        }
        return [gx, gw, gb]
    } differentiablePullback: { g, inputs in
        let (x, w) = (inputs[0], inputs[1])
        return [x.requiresGrad ? matmul(g, w) : nil, w.requiresGrad ? matmul(g, x, transposeA: true) : nil,
                inputs.count > 2 && inputs[2].requiresGrad ? g.sum(axis: 0) : nil]
    }
}

/// `op(a) · op(b)` into a new array, through `NDArray.matmul` (inlinable, so its
/// allocation is specialized for the caller's scalar type).
@inlinable
func blasProduct<Scalar>(_ a: NDArray<Scalar>, _ b: NDArray<Scalar>,
                         transposeA: Bool = false, transposeB: Bool = false) -> NDArray<Scalar> {
    NDArray.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
}

/// `op(a) · op(b)` as the gradient of `owner`, written into the storage `owner.zeroGrad()`
/// dropped when there is some (the same product, β = 0, into memory already mapped), else
/// into a new array.
@inlinable
func blasProduct<Scalar>(_ a: NDArray<Scalar>, _ b: NDArray<Scalar>,
                         transposeA: Bool = false, transposeB: Bool = false,
                         reusing owner: Tensor<Scalar>) -> NDArray<Scalar> {
    guard var reused = owner.recycledGradient(shape: owner.data.shape) else {
        return blasProduct(a, b, transposeA: transposeA, transposeB: transposeB)
    }
    NDArray.gemm(a, b, into: &reused, transposeA: transposeA, transposeB: transposeB)
    return reused
}
