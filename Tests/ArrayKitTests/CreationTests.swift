import ArrayAssertions
import Testing
@testable import ArrayKit

@Suite struct CreationTests {
    @Test func scalarsAndShape() {
        let m = NDArray<Double>([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(m.shape == [2, 3])
        #expect(m.count == 6)
        #expect(m.rank == 2)
        #expect(m.strides == [3, 1])
        #expect(m[0, 0] == 1)
        #expect(m[0, 2] == 3)
        #expect(m[1, 0] == 4)
        #expect(m[1, 2] == 6)
        let v = NDArray<Float>([7, 8])
        #expect(v.shape == [2])
        #expect(v[1] == 8)
        let s = NDArray<Float>(scalar: 2.5)
        #expect(s.shape == [])
        #expect(s.rank == 0)
        #expect(s.scalar == 2.5)
        #expect(s.strides == [])
        expectEqual(NDArray<Float>(shape: [2, 2], flatIndex: { Float($0 * 10) }), [0, 10, 20, 30])
        #expect(NDArray<Float>([1, 2, 3, 4, 5, 6, 7, 8], shape: [2, 2, 2]).strides == [4, 2, 1])
    }

    @Test func subscriptWrites() {
        var m = NDArray<Float>.zeros([2, 3])
        m[1, 2] = 5
        m[0, 1] = -1
        expectEqual(m, [0, -1, 0, 0, 0, 5])
    }

    @Test func filledArrays() {
        expectEqual(NDArray<Float>.zeros([2, 3]), [0, 0, 0, 0, 0, 0])
        expectEqual(NDArray<Double>.ones([3]), [1, 1, 1])
        expectEqual(NDArray<Float>.full([2, 2], 7), NDArray([7, 7, 7, 7], shape: [2, 2]))
        #expect(NDArray<Float>.zeros([0, 4]).count == 0)
        #expect(NDArray<Float>.zeros([]).shape == [])
        #expect(NDArray<Float>.zeros([]).count == 1)
        expectEqual(NDArray<Double>.identity(3), [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(NDArray<Double>.identity(0).shape == [0, 0])
    }

    @Test func arangeAndLinspace() {
        expectEqual(NDArray<Double>.arange(0, 1, step: 0.25), [0, 0.25, 0.5, 0.75])
        expectEqual(NDArray<Float>.arange(0, 5), [0, 1, 2, 3, 4])
        expectEqual(NDArray<Float>.arange(2, 2.5), [2])        // ceil(0.5) = 1 element
        expectEqual(NDArray<Float>.arange(5, 0, step: -2), [5, 3, 1])
        #expect(NDArray<Float>.arange(3, 0).count == 0)
        expectEqual(NDArray<Double>.linspace(0, 1, count: 5), [0, 0.25, 0.5, 0.75, 1])
        expectEqual(NDArray<Double>.linspace(2, 3, count: 1), [2])
        #expect(NDArray<Double>.linspace(2, 3, count: 0).count == 0)
        #expect(NDArray<Float>.linspace(0, 0.3, count: 4).scalars.last == 0.3)   // end exact
    }

    @Test func precisionConversion() {
        let d = NDArray<Double>([0.1, -2, 1e40], shape: [3])
        let f = NDArray<Float>(d)
        #expect(f.shape == [3])
        expectEqual(f, [Float(0.1), -2, .infinity])
        #expect(NDArray<Double>(f)[1] == -2)
    }

    @Test func description() {
        #expect("\(NDArray<Float>([1, 2, 3, 4], shape: [2, 2]))" == "[[1.0, 2.0],\n [3.0, 4.0]]")
        #expect("\(NDArray<Float>(shape: [2, 1, 2], flatIndex: { Float($0) }))" == "[[[0.0, 1.0]],\n\n [[2.0, 3.0]]]")
        #expect("\(NDArray<Float>(scalar: 3))" == "3.0")
        #expect("\(NDArray<Float>.zeros([0]))" == "[]")
    }

    @Test func creationWithTheWrongCountStops() async {
        await #expect(processExitsWith: .failure) {
            _ = NDArray<Float>([1, 2, 3], shape: [2, 2])
        }
    }
}
