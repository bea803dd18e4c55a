import ArrayKit
import AutoGrad
import Testing

/// A file that imports both libraries names every layer without a module prefix: the plain
/// names are ArrayKit's hand-written layers, the `nn.` names AutoGrad's. That this file
/// compiles is half the test; the other half checks that each name is the backend it says.
@Suite struct NamingTests {
    @Test func plainNamesAreHandWrittenAndNNNamesAreTaped() {
        var manualRNG = SplitMix64(seed: 5), tapeRNG = SplitMix64(seed: 5)
        let manual = Linear<Double>(inFeatures: 4, outFeatures: 3, using: &manualRNG)
        let taped = nn.Linear<Double>(4, 3, using: &tapeRNG)
        // Both draw Kaiming-normal weights the same way: same seed, same layer.
        #expect(manual.weight == taped.weight.data)

        var rng = SplitMix64(seed: 6)
        let x = NDArray<Double>.randomNormal([5, 4], using: &rng)
        let byHand = ELU<Double>(alpha: 0.5).forward(ReLU<Double>().forward(manual.forward(x)) - 0.25)
        let byTape = withNoGrad { nn.ELU<Double>(alpha: 0.5)(nn.ReLU<Double>()(taped(Tensor(x))) - 0.25).data }
        #expect(relativeDifference(byHand, byTape) <= tolerance(Double.self))
    }

    @Test func bothMLPsStartFromTheSameWeights() {
        let manual = MLP<Float>(inputs: 6, hidden: [5], classes: 3, seed: 9)
        var rng = SplitMix64(seed: 9)
        let taped = nn.MLP<Float>(inputs: 6, hidden: [5], classes: 3, using: &rng)
        #expect(manual.namedParameters().map(\.0) == taped.namedParameters().map(\.name))
        for ((name, value), parameter) in zip(manual.namedParameters(), taped.parameters()) {
            #expect(value == parameter.data, "\(name)")
        }
    }
}
