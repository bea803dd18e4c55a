import ArrayAssertions
import Testing
@testable import ArrayKit

@Suite struct ReductionTests {
    /// [[0, 1, 2], [3, 4, 5]]
    let m = NDArray<Float>(shape: [2, 3], flatIndex: { Float($0) })
    /// [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]
    let t = NDArray<Double>(shape: [2, 3, 2], flatIndex: { Double($0) })

    @Test func sumAndMeanOverAnAxis() {
        expectEqual(m.sum(axis: 0), NDArray([3, 5, 7]))
        expectEqual(m.sum(axis: 1), NDArray([3, 12]))
        expectEqual(m.sum(axis: -1), NDArray([3, 12]))
        expectEqual(m.mean(axis: 0), NDArray([1.5, 2.5, 3.5]))
        expectEqual(m.mean(axis: 1), NDArray([1, 4]))
        expectEqual(t.sum(axis: 1), NDArray([6, 9, 24, 27], shape: [2, 2]))
        expectEqual(t.sum(axis: 2), NDArray([1, 5, 9, 13, 17, 21], shape: [2, 3]))
        expectEqual(t.mean(axis: 0), NDArray([3, 4, 5, 6, 7, 8], shape: [3, 2]))
    }

    @Test func keepDims() {
        expectEqual(m.sum(axis: 0, keepDims: true), NDArray([3, 5, 7], shape: [1, 3]))
        expectEqual(m.sum(axis: 1, keepDims: true), NDArray([3, 12], shape: [2, 1]))
        expectEqual(m.mean(axis: 1, keepDims: true), NDArray([1, 4], shape: [2, 1]))
        expectEqual(m.max(axis: 1, keepDims: true), NDArray([2, 5], shape: [2, 1]))
        expectEqual(m.min(axis: 0, keepDims: true), NDArray([0, 1, 2], shape: [1, 3]))
        #expect(t.sum(axis: 1, keepDims: true).shape == [2, 1, 2])
        // keepDims is what makes `x - x.max(axis: 1, keepDims: true)` broadcast row-wise.
        expectEqual(m - m.max(axis: 1, keepDims: true), [-2, -1, 0, -2, -1, 0])
    }

    @Test func maxMinArgmaxOverAnAxis() {
        let x = NDArray<Float>([3, -1, 7, 7, 2, -5], shape: [2, 3])
        expectEqual(x.max(axis: 0), NDArray([7, 2, 7]))
        expectEqual(x.max(axis: 1), NDArray([7, 7]))
        expectEqual(x.min(axis: 0), NDArray([3, -1, -5]))
        expectEqual(x.min(axis: 1), NDArray([-1, -5]))
        #expect(x.argmax(axis: 1) == [2, 0])        // first of the tied 7s in row 1
        #expect(x.argmax(axis: 0) == [1, 1, 0])
        #expect(t.argmax(axis: 1) == [2, 2, 2, 2])
    }

    @Test func wholeArray() {
        #expect(m.sum() == 15)
        #expect(m.mean() == 2.5)
        #expect(m.max() == 5)
        #expect(m.min() == 0)
        #expect(NDArray<Float>([4, 9, 9, 1]).argmax() == 1)
        #expect(NDArray<Float>.zeros([0]).sum() == 0)
        #expect(NDArray<Float>.zeros([0]).mean().isNaN)
    }

    @Test func nanPropagates() {
        let x = NDArray<Float>([1, .nan, 3, 4], shape: [2, 2])
        #expect(x.max().isNaN)
        #expect(x.min().isNaN)
        #expect(x.max(axis: 0).scalars[0] == 3)
        #expect(x.max(axis: 0).scalars[1].isNaN)
        #expect(x.min(axis: 1).scalars[0].isNaN)
        #expect(x.min(axis: 1).scalars[1] == 3)
        #expect(x.argmax() == 1)
        #expect(x.argmax(axis: 0) == [1, 0])   // NumPy: the first NaN is the max
    }

    @Test func sizeZeroAndSizeOneAxes() {
        let empty = NDArray<Float>.zeros([0, 3])
        expectEqual(empty.sum(axis: 0), NDArray([0, 0, 0]))
        #expect(empty.sum(axis: 0, keepDims: true).shape == [1, 3])
        #expect(empty.sum(axis: 1).shape == [0])
        #expect(empty.max(axis: 1).shape == [0])            // nothing to reduce over per row
        #expect(empty.mean(axis: 0).scalars.allSatisfy { $0.isNaN })
        let single = NDArray<Float>([4, 5], shape: [1, 2])
        expectEqual(single.sum(axis: 0), NDArray([4, 5]))
        expectEqual(single.max(axis: 0, keepDims: true), single)
    }

    @Test func maxOverAnEmptyAxisStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = NDArray<Float>.zeros([0, 3]).max(axis: 0)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("max: axis 0 of shape (0, 3) is empty"), "stderr: \(text)")
    }

    @Test func anAxisOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = NDArray<Float>.zeros([2, 3]).sum(axis: 2)
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("sum: axis 2 is out of range for shape (2, 3)"), "stderr: \(text)")
    }
}
