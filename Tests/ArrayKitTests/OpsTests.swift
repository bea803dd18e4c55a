import ArrayAssertions
import Testing
@testable import ArrayKit

/// The tests of OpsTests.swift, one nested suite per part.
@Suite struct OpsTests {}

extension OpsTests {
    @Suite struct ArithmeticTests {
        let a = NDArray<Float>([1, 2, 3, 4], shape: [2, 2])
        let b = NDArray<Float>([10, 20, 30, 40], shape: [2, 2])

        @Test func arrayWithArray() {
            expectEqual(a + b, [11, 22, 33, 44])
            expectEqual(b - a, [9, 18, 27, 36])
            expectEqual(a * b, [10, 40, 90, 160])
            expectEqual(b / a, [10, 10, 10, 10])
            expectEqual(-a, [-1, -2, -3, -4])
            #expect((a + b).shape == [2, 2])
        }

        @Test func arrayWithScalarAndScalarWithArray() {
            expectEqual(a + 1, [2, 3, 4, 5])
            expectEqual(a - 1, [0, 1, 2, 3])
            expectEqual(a * 3, [3, 6, 9, 12])
            expectEqual(a / 2, [0.5, 1, 1.5, 2])
            expectEqual(1 + a, [2, 3, 4, 5])
            expectEqual(10 - a, [9, 8, 7, 6])
            expectEqual(2 * a, [2, 4, 6, 8])
            expectEqual(12 / a, [12, 6, 4, 3])
        }

        @Test func inPlace() {
            var x = a
            x += b
            expectEqual(x, [11, 22, 33, 44])
            x -= a
            expectEqual(x, b)
            x *= NDArray([1, 0.5], shape: [2])           // broadcast over rows
            expectEqual(x, [10, 10, 30, 20])
            x += 1
            x *= 2
            expectEqual(x, [22, 22, 62, 42])
            expectEqual(a, [1, 2, 3, 4])           // value semantics: a is untouched
        }

        @Test func inPlaceDoesNotAliasACopy() {
            var x = a
            let y = x
            x += y
            expectEqual(x, [2, 4, 6, 8])
            expectEqual(y, a)
        }
    }
}

extension OpsTests {
    @Suite struct ElementwiseFunctionTests {
        @Test func transcendental() {
            let x = NDArray<Double>([0, 1, 4], shape: [3])
            #expect(x.exp().isClose(to: NDArray([1, 2.718281828459045, 54.598150033144236]), rtol: 1e-15))
            #expect(NDArray<Double>([1, 2.718281828459045, 0.5]).log().isClose(to: NDArray([0, 1, -0.6931471805599453]), rtol: 1e-15))
            expectEqual(x.sqrt(), [0, 1, 2])
            #expect(NDArray<Double>([0, 0.5, -3]).tanh().isClose(to: NDArray([0, 0.46211715726000974, -0.9950547536867305]), rtol: 1e-15))
            expectEqual(NDArray<Float>([-2, 0, 3]).abs(), [2, 0, 3])
            expectEqual(NDArray<Float>([-2, 3]).squared(), [4, 9])
            #expect(NDArray<Double>([2, 9]).pow(0.5).isClose(to: NDArray([1.4142135623730951, 3]), rtol: 1e-15))
            #expect(NDArray<Double>([0, -1]).log().scalars[0] == -.infinity)
            #expect(NDArray<Double>([0, -1]).log().scalars[1].isNaN)
        }

        @Test func maximumMinimumAndClip() {
            let x = NDArray<Float>([-1, 0.5, 2, .nan])
            let y = NDArray<Float>([0, 1, 1, 0])
            expectEqual(Array(x.maximum(0).scalars.prefix(3)), [0, 0.5, 2])
            #expect(x.maximum(0).scalars[3].isNaN)
            expectEqual(Array(x.minimum(1).scalars.prefix(3)), [-1, 0.5, 1])
            #expect(x.minimum(1).scalars[3].isNaN)
            expectEqual(Array(x.maximum(y).scalars.prefix(3)), [0, 1, 2])
            #expect(x.maximum(y).scalars[3].isNaN)
            expectEqual(Array(x.minimum(y).scalars.prefix(3)), [-1, 0.5, 1])
            #expect(x.minimum(y).scalars[3].isNaN)
            #expect(y.maximum(x).scalars[3].isNaN)       // NaN wins from either side, as numpy.maximum
            expectEqual(Array(x.clipped(-0.5, 1).scalars.prefix(3)), [-0.5, 0.5, 1])
            #expect(x.clipped(-0.5, 1).scalars[3].isNaN)
        }

        @Test func comparisonsGiveMasks() {
            let x = NDArray<Float>([-1, 0, 2])
            let y = NDArray<Float>([0, 0, 1])
            expectEqual(x.isGreater(than: y), [0, 0, 1])
            expectEqual(x.isLess(than: y), [1, 0, 0])
            expectEqual(x.isEqual(to: y), [0, 1, 0])
            expectEqual(x.isGreater(than: 0), [0, 0, 1])
            expectEqual(x.isLess(than: 0), [1, 0, 0])
            expectEqual(x.isGreaterOrEqual(to: 0), [0, 1, 1])
            expectEqual(x.isGreater(than: NDArray([0, 1], shape: [2, 1])), [0, 0, 1, 0, 0, 1])
            #expect(x.isFinite)
            #expect(!NDArray<Float>([1, .infinity]).isFinite)
            #expect(!NDArray<Float>([.nan]).isFinite)
        }

        @Test func isClose() {
            let x = NDArray<Double>([1, 100])
            #expect(x.isClose(to: NDArray([1 + 1e-7, 100 + 1e-4])))
            #expect(!x.isClose(to: NDArray([1.001, 100])))
            #expect(!x.isClose(to: NDArray([1, 100], shape: [2, 1])))   // shapes differ
        }
    }
}
