import ArrayAssertions
import Foundation
import Testing
@testable import Training

let compactCases: [(Double, String)] = [
        (0.001, "0.001"), (1e-6, "1e-6"), (100, "100"), (0.25, "0.25"), (0.1 * 3, "0.3"),
        (1e6, "1e6"), (2.5e-7, "2.5e-7"), (-0.5, "-0.5"), (0, "0"), (-0.0, "0"), (123456, "123456"),
        (0.0001, "1e-4"), (9.9999999, "10"), (1_500_000, "1.5e6"), (0.86123456, "0.861235"),
]
let tickRanges: [(Double, Double)] = [(0.8123, 0.9071), (-3.2, 47.9), (1, 10), (0.000123, 0.000456), (2.3, 2.3001), (-5, -1)]

/// The tests of ChartTests.swift, one nested suite per part.
@Suite struct ChartTests {}

extension ChartTests {
    @Suite struct CompactNumberTests {
        @Test(arguments: compactCases)
        func formatsCompactly(value: Double, expected: String) {
            #expect(compactNumber(value) == expected)
        }

        @Test func namesNonFiniteValues() {
            #expect(compactNumber(.nan) == "NaN")
            #expect(compactNumber(.infinity) == "inf")
            #expect(compactNumber(-.infinity) == "-inf")
            #expect(compactNumber(0.123456, significantDigits: 3) == "0.123")
        }
    }
}

extension ChartTests {
    @Suite struct AxisTicksTests {
        /// True when `value` is 1, 2 or 5 times a power of ten (or zero).
        func isRound(_ value: Double) -> Bool {
            if value == 0 { return true }
            let m = abs(value) / pow(10, log10(abs(value)).rounded(.down))
            return [1.0, 2, 5, 10].contains { abs(m - $0) < 1e-9 }
        }

        @Test func linearTicksWidenToRoundValues() {
            let ticks = AxisTicks(covering: [0.27, 1.1, 2.31])
            #expect(ticks.lower == 0)
            #expect(ticks.upper == 2.5)
            expectEqual(ticks.major, [0, 0.5, 1, 1.5, 2, 2.5])
            #expect(ticks.minor.isEmpty)
        }

        @Test(arguments: tickRanges)
        func linearTicksAreEvenRoundAndCoverTheData(low: Double, high: Double) {
            let ticks = AxisTicks(covering: [low, high])
            #expect(ticks.lower <= low)
            #expect(ticks.upper >= high)
            #expect(ticks.major.first == ticks.lower)
            #expect(ticks.major.last == ticks.upper)
            #expect((4...11).contains(ticks.major.count), "\(ticks.major)")
            let steps = zip(ticks.major.dropFirst(), ticks.major).map { $0 - $1 }
            #expect(isRound(steps[0]), "step \(steps[0])")
            for step in steps { #expect(abs(step - steps[0]) <= 1e-9 * abs(steps[0])) }
            for tick in ticks.major { #expect(compactNumber(tick).count <= 8, "\(tick) labels as \(compactNumber(tick))") }
        }

        @Test func wholeNumberDataGetsWholeNumberTicks() {
            let epochs = AxisTicks(covering: [1, 2, 3])
            expectEqual(epochs.major, [1, 2, 3])
            let fractional = AxisTicks(covering: [1, 2.5, 3])
            #expect(fractional.major.contains(1.5))
        }

        @Test func flatDataStillGetsAnAxis() {
            let ticks = AxisTicks(covering: [0.5, 0.5, 0.5])
            #expect(ticks.lower < 0.5)
            #expect(ticks.upper > 0.5)
            #expect(ticks.major.count >= 2)
            let empty = AxisTicks(covering: [])
            #expect(empty.lower == 0)
            #expect(empty.upper == 1)
        }

        @Test func pinnedRangeKeepsItsEndsAndPutsTicksInside() {
            let ticks = AxisTicks(covering: [0.31, 0.88], range: 0...1)
            #expect(ticks.lower == 0)
            #expect(ticks.upper == 1)
            expectEqual(ticks.major, [0, 0.2, 0.4, 0.6, 0.8, 1])
            let odd = AxisTicks(covering: [], range: 0.05...0.95)
            #expect(odd.lower == 0.05)
            #expect(odd.upper == 0.95)
            #expect(odd.major.allSatisfy { $0 >= 0.05 && $0 <= 0.95 })
            #expect(odd.major.count >= 4)
        }

        @Test func logTicksOverManyDecadesLabelEachDecade() {
            let rates = (0..<9).map { pow(10, -6 + Double($0)) }
            let ticks = AxisTicks(covering: rates, scale: .log10)
            #expect(ticks.lower == 1e-6)
            #expect(ticks.upper == 100)
            #expect(ticks.major.map { compactNumber($0) }
                    == ["1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10", "100"])
            #expect(abs(ticks.fraction(of: 1e-2) - 0.5) < 1e-12)
            #expect(ticks.minor.isEmpty || ticks.minor.allSatisfy { $0 > 1e-6 && $0 < 100 })
        }

        @Test func logTicksOverAFewDecadesUseOneTwoFive() {
            let ticks = AxisTicks(covering: [0.27, 2.3], scale: .log10)
            expectEqual(ticks.major, [0.2, 0.5, 1, 2, 5])
            #expect(ticks.lower == 0.2)
            #expect(ticks.upper == 5)
            #expect(ticks.minor.contains(0.3))
            #expect(ticks.minor.contains(4))
            #expect(!ticks.minor.contains(2))
        }

        @Test func logTicksOverHugeRangesSkipDecades() {
            let ticks = AxisTicks(covering: [1e-12, 3e11], scale: .log10)
            #expect(ticks.major.count <= 10, "\(ticks.major)")
            #expect(ticks.major.count >= 5, "\(ticks.major)")
            #expect(ticks.lower <= 1e-12)
            #expect(ticks.upper >= 3e11)
            let exponents = ticks.major.map { log10($0) }
            let stride = exponents[1] - exponents[0]
            #expect(stride > 1)
            for (a, b) in zip(exponents.dropFirst(), exponents) { #expect(abs(a - b - stride) < 1e-9) }
        }

        @Test func logAxisIgnoresValuesItCannotShow() {
            let ticks = AxisTicks(covering: [0, -1, .nan, .infinity, 0.01, 1], scale: .log10)
            #expect(ticks.lower == 0.01)
            #expect(ticks.upper == 1)
            let nothing = AxisTicks(covering: [0, -3], scale: .log10)
            #expect(nothing.lower > 0)
            #expect(nothing.upper > nothing.lower)
        }
    }
}

extension ChartTests {
    @Suite struct LineChartTests {
        func sampleLossChart() -> LineChart {
            var chart = LineChart(title: "Loss per epoch", xLabel: "epoch", yLabel: "cross-entropy loss")
            chart.add(LineSeries("train", y: [0.62, 0.43, 0.39, 0.36, 0.34, 0.33, 0.31, 0.30, 0.29, 0.28], markers: true))
            chart.add(LineSeries("validation", y: [0.48, 0.41, 0.40, 0.37, 0.36, 0.35, 0.35, 0.34, 0.34, 0.35],
                                 markers: true, dashed: true))
            return chart
        }

        @Test func chartIsValidStandaloneSVGWithLabelsAndLegend() throws {
            let svg = sampleLossChart().svg()
            let parsed = try parseWithPython(svg, name: "loss.svg")
            #expect(parsed.root == "{http://www.w3.org/2000/svg}svg")
            #expect(parsed.elements > 40)
            let texts = textContents(in: svg)
            for expected in ["Loss per epoch", "epoch", "cross-entropy loss", "train", "validation", "0", "10", "0.3"] {
                #expect(texts.contains(expected), "missing text \(expected)")
            }
            #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
            #expect(svg.components(separatedBy: "<circle").count - 1 == 20 + 2)   // points + legend dots
        }

        @Test func nonFinitePointsAreCutNeverWrittenAsNaN() throws {
            var chart = LineChart(title: "Diverging", xLabel: "epoch", yLabel: "loss", yScale: .log10)
            chart.add(LineSeries("lr = 0.1", y: [2.0, 0.5, 0.4, 0.35]))
            chart.add(LineSeries("lr = 10", y: [2.3, 40, .nan, .infinity], diverged: true))
            chart.add(LineSeries("gap", y: [1, 0.9, .nan, 0.7, 0.6, -1, 0.5]))
            chart.add(LineSeries("all NaN", y: [.nan, .nan]))
            let svg = chart.svg()
            _ = try parseWithPython(svg, name: "diverged.svg")
            for value in attributeValues("points", in: svg) + attributeValues("cx", in: svg)
                + attributeValues("cy", in: svg) + attributeValues("y", in: svg) + attributeValues("x1", in: svg)
                + attributeValues("d", in: svg) {
                #expect(!value.lowercased().contains("nan"), "\(value)")
                #expect(!value.lowercased().contains("inf"), "\(value)")
            }
            // "gap" splits at NaN and at the negative value: segments of 2, 2 and a lone point.
            #expect(svg.components(separatedBy: "<polyline").count - 1 == 1 + 1 + 2)
            #expect(textContents(in: svg).contains("lr = 10 (diverged)"))
            #expect(svg.contains("stroke-dasharray=\"7 4\""))
            #expect(chart.ticks.y.upper >= 40)
            #expect(chart.ticks.y.lower <= 0.35)
        }

        @Test func logXAxisForALearningRateSweep() throws {
            let rates = (0..<9).map { pow(10, -6 + Double($0)) }
            var chart = LineChart(title: "Best validation accuracy by learning rate", xLabel: "learning rate",
                                  yLabel: "best validation accuracy", xScale: .log10, yRange: 0...1)
            chart.add(LineSeries("fashion-mnist", x: rates,
                                 y: [0.10, 0.35, 0.71, 0.80, 0.85, 0.88, 0.86, .nan, .nan], markers: true))
            let svg = chart.svg()
            _ = try parseWithPython(svg, name: "best_val_vs_lr.svg")
            let texts = textContents(in: svg)
            for label in ["1e-6", "0.001", "100", "0", "0.2", "1"] { #expect(texts.contains(label), "missing tick \(label)") }
            #expect(svg.components(separatedBy: "<circle").count - 1 == 7 + 1)
        }

        /// A series without a line is its markers alone, in the plot and in the legend; a cross
        /// is a path of two strokes, a dot a circle.
        @Test func aSeriesWithoutALineIsItsMarkersAlone() throws {
            var chart = LineChart(title: "Outcomes", xLabel: "learning rate", yLabel: "accuracy", xScale: .log10, yRange: 0...1)
            chart.add(LineSeries("trained", x: [0.01, 0.1, 1], y: [0.8, 0.9, 0.4], markers: true, color: "#1f77b4"))
            chart.add(LineSeries("no accuracy", x: [10, 100], y: [0, 0], marker: .cross, line: false, color: "#d62728"))
            chart.add(LineSeries("stopped early", x: [1e-3, 1e-2], y: [0.5, 0.6], line: false, color: "#7f7f7f"))
            let svg = chart.svg()
            _ = try parseWithPython(svg, name: "markers_only.svg")
            #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
            func count(_ element: String, colored color: String) -> Int {
                svg.components(separatedBy: element).dropFirst().filter { $0.prefix { $0 != ">" }.contains(color) }.count
            }
            #expect(count("<line ", colored: "#d62728") == 0, "no legend line either")
            #expect(count("<line ", colored: "#7f7f7f") == 0, "no legend line either")
            #expect(count("<line ", colored: "#1f77b4") == 1)
            #expect(count("<path ", colored: "#d62728") == 2 + 1)                 // points + legend
            #expect(count("<circle ", colored: "#7f7f7f") == 2 + 1)
            #expect(count("<circle ", colored: "#d62728") == 0)
            #expect(textContents(in: svg).contains("no accuracy"))
        }

        @Test func curvesFromASweepShowEveryRate() throws {
            var chart = LineChart(title: "Training loss by learning rate", xLabel: "epoch", yLabel: "training loss",
                                  yScale: .log10)
            for (i, rate) in [1e-6, 1e-4, 0.01, 0.1, 1, 10, 100].enumerated() {
                let losses = (1...10).map { epoch -> Double in
                    rate >= 10 ? (epoch < 3 ? 2.3 * pow(30, Double(epoch)) : .nan)
                        : 2.3 * pow(1 - min(0.5, rate * 3), Double(epoch)) + 0.1 * Double(i)
                }
                chart.add(LineSeries("lr = \(compactNumber(rate))", y: losses, diverged: rate >= 10))
            }
            let svg = chart.svg()
            _ = try parseWithPython(svg, name: "loss_curves.svg")
            #expect(textContents(in: svg).filter { $0.hasSuffix("(diverged)") }.count == 2)
        }

        @Test func figuresPutPanelsSideBySideWithUniqueIds() throws {
            var accuracy = LineChart(title: "Validation accuracy", xLabel: "epoch", yLabel: "accuracy")
            accuracy.add(LineSeries("manual", y: [0.81, 0.84, 0.85], markers: true))
            accuracy.add(LineSeries("autograd", y: [0.81, 0.84, 0.86], markers: true, dashed: true))
            let figure = Figure([LineChartTests().sampleLossChart(), accuracy], columns: 2)
            #expect(figure.size.width == 1440)
            #expect(figure.size.height == 450)
            let svg = figure.svg()
            _ = try parseWithPython(svg, name: "figure.svg")
            let ids = attributeValues("id", in: svg)
            #expect(ids.count == 2)
            #expect(Set(ids).count == 2)
        }

        @Test func aLongLegendDoesNotPushTheTitleOffTheCanvas() throws {
            let title = "Best validation accuracy (manual, fashion-mnist)"
            var chart = LineChart(title: title, xLabel: "learning rate", yLabel: "accuracy")
            chart.add(LineSeries("a legend entry long enough to leave the plot narrower than the title", y: [0.5, 0.6]))
            let svg = chart.svg()
            let titleX = try #require(svg.components(separatedBy: "<text x=\"").dropFirst().first.flatMap { Double($0.prefix { $0 != "\"" }) })
            #expect(textContents(in: svg).first == title)
            #expect(titleX - SVG.textWidth(title, fontSize: 16) / 2 >= 0, "title centred at \(titleX)")
        }

        @Test func titlesAndNamesAreEscaped() throws {
            var chart = LineChart(title: "a < b & \"c\"", xLabel: "x'", yLabel: "<y>")
            chart.add(LineSeries("T-shirt/top & co", y: [1, 2]))
            let svg = chart.svg()
            _ = try parseWithPython(svg, name: "escaped.svg")
            #expect(svg.contains("a &lt; b &amp; &quot;c&quot;"))
        }
    }
}
