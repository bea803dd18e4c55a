import Testing
@testable import ArrayKit

@Suite struct ArithmeticTests {
    let a = NDArray<Float>([1, 2, 3, 4], shape: [2, 2])
    let b = NDArray<Float>([10, 20, 30, 40], shape: [2, 2])

    @Test func arrayWithArray() {
        #expect((a + b).scalars == [11, 22, 33, 44])
        #expect((b - a).scalars == [9, 18, 27, 36])
        #expect((a * b).scalars == [10, 40, 90, 160])
        #expect((b / a).scalars == [10, 10, 10, 10])
        #expect((-a).scalars == [-1, -2, -3, -4])
        #expect((a + b).shape == [2, 2])
    }

    @Test func arrayWithScalarAndScalarWithArray() {
        #expect((a + 1).scalars == [2, 3, 4, 5])
        #expect((a - 1).scalars == [0, 1, 2, 3])
        #expect((a * 3).scalars == [3, 6, 9, 12])
        #expect((a / 2).scalars == [0.5, 1, 1.5, 2])
        #expect((1 + a).scalars == [2, 3, 4, 5])
        #expect((10 - a).scalars == [9, 8, 7, 6])
        #expect((2 * a).scalars == [2, 4, 6, 8])
        #expect((12 / a).scalars == [12, 6, 4, 3])
    }

    @Test func inPlace() {
        var x = a
        x += b
        #expect(x.scalars == [11, 22, 33, 44])
        x -= a
        #expect(x == b)
        x *= NDArray([1, 0.5], shape: [2])           // broadcast over rows
        #expect(x.scalars == [10, 10, 30, 20])
        x += 1
        x *= 2
        #expect(x.scalars == [22, 22, 62, 42])
        #expect(a.scalars == [1, 2, 3, 4])           // value semantics: a is untouched
    }

    @Test func inPlaceDoesNotAliasACopy() {
        var x = a
        let y = x
        x += y
        #expect(x.scalars == [2, 4, 6, 8] && y == a)
    }
}

@Suite struct ElementwiseFunctionTests {
    @Test func transcendental() {
        let x = NDArray<Double>([0, 1, 4], shape: [3])
        #expect(x.exp().isClose(to: NDArray([1, 2.718281828459045, 54.598150033144236]), rtol: 1e-15))
        #expect(NDArray<Double>([1, 2.718281828459045, 0.5]).log().isClose(to: NDArray([0, 1, -0.6931471805599453]), rtol: 1e-15))
        #expect(x.sqrt().scalars == [0, 1, 2])
        #expect(NDArray<Double>([0, 0.5, -3]).tanh().isClose(to: NDArray([0, 0.46211715726000974, -0.9950547536867305]), rtol: 1e-15))
        #expect(NDArray<Float>([-2, 0, 3]).abs().scalars == [2, 0, 3])
        #expect(NDArray<Float>([-2, 3]).squared().scalars == [4, 9])
        #expect(NDArray<Double>([2, 9]).pow(0.5).isClose(to: NDArray([1.4142135623730951, 3]), rtol: 1e-15))
        #expect(NDArray<Double>([0, -1]).log().scalars[0] == -.infinity)
        #expect(NDArray<Double>([0, -1]).log().scalars[1].isNaN)
    }

    @Test func maximumMinimumAndClip() {
        let x = NDArray<Float>([-1, 0.5, 2, .nan])
        let y = NDArray<Float>([0, 1, 1, 0])
        #expect(Array(x.maximum(0).scalars.prefix(3)) == [0, 0.5, 2] && x.maximum(0).scalars[3].isNaN)
        #expect(Array(x.minimum(1).scalars.prefix(3)) == [-1, 0.5, 1] && x.minimum(1).scalars[3].isNaN)
        #expect(Array(x.maximum(y).scalars.prefix(3)) == [0, 1, 2] && x.maximum(y).scalars[3].isNaN)
        #expect(Array(x.minimum(y).scalars.prefix(3)) == [-1, 0.5, 1] && x.minimum(y).scalars[3].isNaN)
        #expect(y.maximum(x).scalars[3].isNaN)       // NaN wins from either side, as numpy.maximum
        #expect(Array(x.clipped(-0.5, 1).scalars.prefix(3)) == [-0.5, 0.5, 1] && x.clipped(-0.5, 1).scalars[3].isNaN)
    }

    @Test func comparisonsGiveMasks() {
        let x = NDArray<Float>([-1, 0, 2])
        let y = NDArray<Float>([0, 0, 1])
        #expect(x.isGreater(than: y).scalars == [0, 0, 1])
        #expect(x.isLess(than: y).scalars == [1, 0, 0])
        #expect(x.isEqual(to: y).scalars == [0, 1, 0])
        #expect(x.isGreater(than: 0).scalars == [0, 0, 1])
        #expect(x.isLess(than: 0).scalars == [1, 0, 0])
        #expect(x.isGreaterOrEqual(to: 0).scalars == [0, 1, 1])
        #expect(x.isGreater(than: NDArray([0, 1], shape: [2, 1])).scalars == [0, 0, 1, 0, 0, 1])
        #expect(x.isFinite && !NDArray<Float>([1, .infinity]).isFinite && !NDArray<Float>([.nan]).isFinite)
    }

    @Test func isClose() {
        let x = NDArray<Double>([1, 100])
        #expect(x.isClose(to: NDArray([1 + 1e-7, 100 + 1e-4])))
        #expect(!x.isClose(to: NDArray([1.001, 100])))
        #expect(!x.isClose(to: NDArray([1, 100], shape: [2, 1])))   // shapes differ
    }
}
