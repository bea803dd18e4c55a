import ArrayAssertions
import Testing
@testable import ArrayKit

@Suite struct ShapeTests {
    let m = NDArray<Float>(shape: [2, 3], flatIndex: { Float($0) })   // [[0,1,2],[3,4,5]]

    @Test func reshape() {
        expectEqual(m.reshaped([3, 2]), NDArray([0, 1, 2, 3, 4, 5], shape: [3, 2]))
        #expect(m.reshaped([-1]).shape == [6])
        #expect(m.reshaped([2, -1, 1]).shape == [2, 3, 1])
        expectEqual(m.reshaped([1, 6]).scalars, m.scalars)
        #expect(NDArray<Float>([7]).reshaped([]).shape == [])
        #expect(NDArray<Float>.zeros([0, 4]).reshaped([4, 0]).shape == [4, 0])
    }

    @Test func reshapeToTheWrongCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = NDArray<Float>.zeros([2, 3]).reshaped([4, 2])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("reshaped: (2, 3) has 6 elements; (4, 2) needs 8"), "stderr: \(text)")
    }

    @Test func transpose() {
        expectEqual(m.transposed(), NDArray([0, 3, 1, 4, 2, 5], shape: [3, 2]))
        expectEqual(m.transposed().transposed(), m)
        expectEqual(NDArray<Float>([1, 2, 3]).transposed(), NDArray([1, 2, 3]))
        let t = NDArray<Float>(shape: [2, 3, 4], flatIndex: { Float($0) })
        let p = t.transposed([1, 2, 0])                           // p[j, k, i] = t[i, j, k]
        #expect(p.shape == [3, 4, 2])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { #expect(p[j, k, i] == t[i, j, k]) } } }
        #expect(t.transposed().shape == [4, 3, 2])
        #expect(t.transposed()[3, 2, 1] == t[1, 2, 3])
        #expect(NDArray<Float>.zeros([0, 2]).transposed().shape == [2, 0])
    }

    @Test func gatherRowsMakesABatch() {
        let x = NDArray<Float>(shape: [4, 2], flatIndex: { Float($0) })   // rows [0,1] [2,3] [4,5] [6,7]
        expectEqual(x.gatherRows([3, 0, 0]), NDArray([6, 7, 0, 1, 0, 1], shape: [3, 2]))
        #expect(x.gatherRows([]).shape == [0, 2])
        expectEqual(NDArray<Float>([9, 8, 7]).gatherRows([2, 1]), NDArray([7, 8]))
        let t = NDArray<Float>(shape: [3, 2, 2], flatIndex: { Float($0) })
        expectEqual(t.gatherRows([1]), [4, 5, 6, 7])
    }

    @Test func gatherRowOutOfRangeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = NDArray<Float>.zeros([4, 2]).gatherRows([1, 4])
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("gatherRows: row 4 is out of range for shape (4, 2)"), "stderr: \(text)")
    }

    @Test func rowsSlice() {
        let x = NDArray<Float>(shape: [4, 2], flatIndex: { Float($0) })
        expectEqual(x.rows(1..<3), NDArray([2, 3, 4, 5], shape: [2, 2]))
        #expect(x.rows(4..<4).shape == [0, 2])
        #expect(NDArray<Float>.zeros([0, 5]).rows(0..<0).shape == [0, 5])
    }
}

extension ShapeTests {
    @Suite struct MatmulTests {
        @Test func smallProductsByHand() {
            let a = NDArray<Float>([1, 2, 3, 4, 5, 6], shape: [2, 3])
            let b = NDArray<Float>([7, 8, 9, 10, 11, 12], shape: [3, 2])
            expectEqual(NDArray.matmul(a, b), NDArray([58, 64, 139, 154], shape: [2, 2]))
            expectEqual(a.matmul(b), NDArray([58, 64, 139, 154], shape: [2, 2]))
            expectEqual(NDArray.matmul(a, a, transposeB: true), NDArray([14, 32, 32, 77], shape: [2, 2]))
            expectEqual(NDArray.matmul(a, a, transposeA: true), NDArray([17, 22, 27, 22, 29, 36, 27, 36, 45], shape: [3, 3]))
        }

        @Test func gemmAccumulatesInPlace() {
            let a = NDArray<Double>([1, 2, 3, 4], shape: [2, 2])
            var c = NDArray<Double>.ones([2, 2])
            NDArray.gemm(a, NDArray.identity(2), into: &c, alpha: 2, beta: 3)   // 2·A + 3·1
            expectEqual(c, [5, 7, 9, 11])
        }

        @Test func emptyInnerDimensionGivesZeros() {
            let a = NDArray<Float>.zeros([2, 0]), b = NDArray<Float>.zeros([0, 3])
            expectEqual(NDArray.matmul(a, b), .zeros([2, 3]))
            // beta = 0 overwrites C, as BLAS does, even where C held NaN.
            var c = NDArray<Float>.full([2, 3], .nan)
            NDArray.gemm(a, b, into: &c)
            expectEqual(c, .zeros([2, 3]))
            #expect(NDArray.matmul(NDArray<Float>.zeros([0, 4]), NDArray<Float>.zeros([4, 3])).shape == [0, 3])
        }
    }
}
