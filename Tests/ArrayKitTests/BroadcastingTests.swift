import ArrayAssertions
import Testing
@testable import ArrayKit

@Suite struct BroadcastingTests {
    @Test func shapes() {
        #expect(broadcastShapes([3, 1], [1, 4]) == [3, 4])
        #expect(broadcastShapes([2, 3], [3]) == [2, 3])
        #expect(broadcastShapes([], [2, 2]) == [2, 2])
        #expect(broadcastShapes([5, 1, 3], [4, 1]) == [5, 4, 3])
        #expect(broadcastShapes([0, 1], [1, 3]) == [0, 3])
        #expect(broadcastShapes([1], [0]) == [0])
    }

    @Test func columnPlusRow() {
        let column = NDArray<Float>([0, 10, 20], shape: [3, 1])
        let row = NDArray<Float>([1, 2, 3, 4], shape: [1, 4])
        let sum = column + row
        #expect(sum.shape == [3, 4])
        expectEqual(sum, [1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24])
        expectEqual(row + column, sum)
        expectEqual(column - row, [-1, -2, -3, -4, 9, 8, 7, 6, 19, 18, 17, 16])
    }

    @Test func rankZeroAndSizeOneOperands() {
        let m = NDArray<Float>([1, 2, 3, 4, 5, 6], shape: [2, 3])
        expectEqual(m * NDArray(scalar: 2), [2, 4, 6, 8, 10, 12])
        expectEqual(NDArray(scalar: 1) - m, [0, -1, -2, -3, -4, -5])
        #expect((m + NDArray([100], shape: [1])).shape == [2, 3])
        #expect((m + NDArray([100], shape: [1, 1, 1])).shape == [1, 2, 3])   // rank grows
        expectEqual(m / NDArray([1, 2, 3]), [1, 1, 1, 4, 2.5, 2])
        expectEqual(m - NDArray([1, 4], shape: [2, 1]), [0, 1, 2, 0, 1, 2])
        let scalarResult = NDArray<Float>(scalar: 3) * NDArray(scalar: 4)
        #expect(scalarResult.shape == [])
        #expect(scalarResult.scalar == 12)
    }

    @Test func middleAxisAndThreeDimensions() {
        let x = NDArray<Float>(shape: [2, 1, 3], flatIndex: { Float($0) })          // [[[0,1,2]],[[3,4,5]]]
        let y = NDArray<Float>([0, 100], shape: [2, 1])
        let z = x + y
        #expect(z.shape == [2, 2, 3])
        expectEqual(z, [0, 1, 2, 100, 101, 102, 3, 4, 5, 103, 104, 105])
    }

    @Test func sizeZeroAxes() {
        let empty = NDArray<Float>.zeros([0, 3])
        #expect((empty + NDArray([1, 2, 3])).shape == [0, 3])
        #expect((empty + NDArray([1], shape: [1, 1])).shape == [0, 3])
        #expect((NDArray<Float>.zeros([2, 0]) * 5).shape == [2, 0])
        #expect((NDArray<Float>.zeros([3, 1]) + NDArray<Float>.zeros([0])).shape == [3, 0])
    }

    @Test func broadcastTo() {
        let row = NDArray<Float>([1, 2])
        expectEqual(row.broadcast(to: [3, 2]), [1, 2, 1, 2, 1, 2])
        expectEqual(NDArray<Float>([5, 6], shape: [2, 1]).broadcast(to: [2, 3]), [5, 5, 5, 6, 6, 6])
    }

    @Test func reducedToShapeSumsBroadcastAxes() {
        let g = NDArray<Float>(shape: [2, 3], flatIndex: { Float($0) })   // [[0,1,2],[3,4,5]]
        expectEqual(g.reduced(toShape: [3]), [3, 5, 7])
        expectEqual(g.reduced(toShape: [1, 3]), NDArray([3, 5, 7], shape: [1, 3]))
        expectEqual(g.reduced(toShape: [2, 1]), NDArray([3, 12], shape: [2, 1]))
        expectEqual(g.reduced(toShape: []), NDArray(scalar: 15))
        expectEqual(g.reduced(toShape: [1]), NDArray([15]))
        expectEqual(g.reduced(toShape: [2, 3]), g)
        expectEqual(NDArray<Float>.zeros([0, 3]).reduced(toShape: [1, 3]), .zeros([1, 3]))
        // It undoes broadcasting: the gradient of sum(a + b) for b of shape (3, 1) is 4 per entry.
        expectEqual(NDArray<Float>.ones([2, 3, 4]).reduced(toShape: [3, 1]), [8, 8, 8])
    }
}

extension BroadcastingTests {
    /// A mismatch stops the program with a message naming the op and both shapes.
    @Suite struct ShapeMismatchTests {
        @Test func addStopsNamingTheOpAndShapes() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = NDArray<Float>.zeros([2, 3]) + NDArray<Float>.zeros([4])
            }
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("add: shapes (2, 3) and (4,) cannot be broadcast"), "stderr: \(text)")
        }

        @Test func matmulStopsNamingTheInnerDimensions() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = NDArray.matmul(NDArray<Float>.zeros([128, 784]), NDArray<Float>.zeros([128, 10]))
            }
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("matmul: (128, 784) × (128, 10) — inner dimensions 784 and 128 differ"), "stderr: \(text)")
        }

        @Test func inPlaceOpStopsWhenTheResultWouldGrow() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                var x = NDArray<Float>.zeros([3])
                x += NDArray<Float>.zeros([2, 3])
            }
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("add in place: (2, 3) does not broadcast to (3,)"), "stderr: \(text)")
        }

        @Test func reduceToAShapeThatWasNotBroadcastStops() async {
            let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = NDArray<Float>.zeros([2, 3]).reduced(toShape: [2])
            }
            let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
            #expect(text.contains("reduced(toShape:)"), "stderr: \(text)")
            #expect(text.contains("(2, 3)"), "stderr: \(text)")
            #expect(text.contains("(2,)"), "stderr: \(text)")
        }
    }
}
