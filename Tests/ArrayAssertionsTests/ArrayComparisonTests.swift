import ArrayAssertions
import ArrayKit
import Testing

/// The text a mismatch is reported with: counts, the largest and the first difference,
/// indices in the array's shape — and never the arrays.
@Suite struct ArrayComparisonTests {
    @Test func equalArraysHaveNothingToReport() {
        #expect(ArrayComparison.report([1, .nan, -0.0] as [Float], [1, .nan, -0.0]) == nil)
        #expect(ArrayComparison.report(NDArray<Double>.ones([2, 3]), .ones([2, 3])) == nil)
        #expect(ArrayComparison.report([] as [Double], []) == nil)
        #expect(ArrayComparison.report([7, 8] as [UInt8], [7, 8]) == nil)
    }

    @Test func oneDifferenceIsReportedWithItsIndexInTheShape() {
        #expect(ArrayComparison.report([1, 2, 3, 4] as [Float], [1, 2, 3.5, 4], shape: [2, 2])
                == "1 of 4 elements differs (bit for bit), at [1, 0]: actual 3.0, expected 3.5 (difference 0.5)")
    }

    /// The size that once printed for minutes: three differences in 128,000 elements.
    @Test func manyElementsGiveOneShortParagraph() {
        let expected = NDArray<Float>(shape: [125, 1024], flatIndex: { Float($0 % 97) / 8 })
        var actual = expected
        actual[3, 5] += 0.25
        actual[100, 1000] = -actual[100, 1000] - 1
        actual[124, 1023] = .nan
        let report = ArrayComparison.report(actual, expected)
        #expect(report == "3 of 128000 elements differ (bit for bit); the largest difference, nan, at [124, 1023]: "
                + "actual nan(0x400000), expected 7.0; the first at [3, 5]: actual 9.0, expected 8.75")
        #expect((report?.count ?? 0) < 200)
    }

    @Test func theLargestDifferenceIsNamedWithBothValues() {
        let report = ArrayComparison.report([0, 1, 2, 3, 4] as [Double], [0, 1.5, 2, 0, 4.25])
        #expect(report == "3 of 5 elements differ (bit for bit); the largest difference, 3.0, at [3]: "
                + "actual 3.0, expected 0.0; the first at [1]: actual 1.0, expected 1.5")
    }

    @Test func shapesAndCountsThatDifferAreReportedAsSuch() {
        #expect(ArrayComparison.report(NDArray<Float>.zeros([2, 3]), .zeros([3, 2]))
                == "shapes differ: (2, 3) actual, (3, 2) expected")
        #expect(ArrayComparison.report([1, 2, 3] as [Double], [1, 2])
                == "counts differ: 3 actual, 2 expected")
        #expect(ArrayComparison.report([1, 2, 3, 4] as [Float], [1, 2], shape: [2, 2])
                == "counts differ: 4 actual (shape (2, 2)), 2 expected")
    }

    /// Exact means the same bits: the sign of zero and the payload of a NaN count.
    @Test func exactComparesBits() {
        #expect(ArrayComparison.report([0.0] as [Double], [-0.0])
                == "1 of 1 elements differs (bit for bit), at [0]: actual 0.0, expected -0.0 (difference 0.0)")
        let otherNaN = Float(nan: 1, signaling: false)
        #expect(ArrayComparison.report([Float.nan], [otherNaN])
                == "1 of 1 elements differs (bit for bit), at [0]: actual nan(0x400000), expected nan(0x400001) (difference nan)")
    }

    @Test func tolerancesFollowNumpyIsClose() {
        let expected: [Double] = [1, 100, 0]
        #expect(ArrayComparison.report([1 + 1e-7, 100 + 1e-4, 1e-9], expected, tolerance: .within(absolute: 1e-8, relative: 1e-5)) == nil)
        #expect(ArrayComparison.report([1.001, 100, 0], expected, tolerance: .within(absolute: 1e-8, relative: 1e-5))
                == "1 of 3 elements differs (beyond absolute 1e-08 + relative 1e-05), at [0]: actual 1.001, expected 1.0 "
                + "(difference 0.0009999999999998899)")
        #expect(ArrayComparison.report([0.0] as [Double], [-0.0], tolerance: .absolute(0)) == nil)
        #expect(ArrayComparison.report([2e-15] as [Double], [0], tolerance: .absolute(1e-15))
                == "1 of 1 elements differs (beyond absolute 1e-15), at [0]: actual 2e-15, expected 0.0 (difference 2e-15)")
        // Only the same infinity is close to an infinity, however loose the tolerance.
        #expect(ArrayComparison.report([Double.infinity, 5], [.infinity, .infinity], tolerance: .relative(1))
                == "1 of 2 elements differs (beyond relative 1.0), at [1]: actual 5.0, expected inf (difference inf)")
    }

    @Test func integersAndLabels() {
        #expect(ArrayComparison.report([0, 255, 3, 4] as [UInt8], [0, 250, 3, 9])
                == "2 of 4 elements differ (bit for bit); the largest difference, 5, at [1]: actual 255, expected 250; "
                + "the first at [1]: actual 255, expected 250")
        #expect(ArrayComparison.report([0.5, 0.25] as [Double], [0.5, 0.75], labels: ["epochs[0].loss", "epochs[1].loss"])
                == "1 of 2 elements differs (bit for bit), at epochs[1].loss: actual 0.25, expected 0.75 (difference 0.5)")
    }

    /// The recording functions agree with the report and stay silent when the arrays do.
    @Test func expectEqualPassesQuietlyOnEqualArrays() {
        #expect(expectEqual(NDArray<Float>.ones([4, 4]), .ones([4, 4])))
        #expect(expectEqual(NDArray<Double>([1, 2], shape: [1, 2]), [1, 2]))
        #expect(expectEqual([1, 2.0000001] as [Double], [1, 2], tolerance: .absolute(1e-6)))
        #expect(expectEqual([9, 1] as [UInt8], [9, 1]))
        #expect(expectEqual([("w", NDArray<Float>.zeros([2]))], [("w", NDArray<Float>.zeros([2]))]))
    }
}
