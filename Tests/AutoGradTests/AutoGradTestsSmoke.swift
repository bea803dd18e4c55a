import Testing
import ArrayKit
@testable import AutoGrad

@Test func tensorKeepsItsData() {
    let t = Tensor(NDArray<Double>([1, 2, 3]), requiresGrad: true)
    #expect(t.shape == [3] && t.requiresGrad && t.grad == nil)
}
