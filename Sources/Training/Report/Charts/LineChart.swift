import Foundation

/// The shape a `LineSeries` draws at its points.
public enum MarkerShape: Sendable, Equatable {
    /// A filled circle: a measured value.
    case dot
    /// An ×: a point that stands for an outcome rather than a value, such as a run that
    /// has no accuracy drawn at the bottom of the axis.
    case cross
}

/// One named curve of a `LineChart`.
///
/// Points whose x or y is not finite (or not positive on a log axis) are cut: the line
/// stops before them and resumes after, so a loss that became `NaN` ends its curve there.
///
/// ```swift
/// let loss = LineSeries("lr = 100", y: [2.3, 41.7, .nan], diverged: true)
/// let failed = LineSeries("no accuracy", x: [10, 100], y: [0, 0], marker: .cross, line: false)
/// ```
public struct LineSeries: Sendable, Equatable {
    /// The legend entry.
    public var name: String
    /// The x coordinates.
    public var x: [Double]
    /// The y coordinates, one per x.
    public var y: [Double]
    /// Draws a marker at every point.
    public var showsMarkers: Bool
    /// The marker's shape, here and in the legend.
    public var marker: MarkerShape
    /// Joins the points with a line. Without one the series is its markers alone (drawn
    /// whatever `showsMarkers` says), for points that are separate outcomes, not a curve.
    public var showsLine: Bool
    /// Draws the curve dashed, ends it with a cross and adds "(diverged)" to its legend entry.
    public var isDiverged: Bool
    /// Draws the curve dashed without calling it diverged (e.g. validation next to training).
    public var isDashed: Bool
    /// A CSS colour; `nil` takes the next colour of the palette.
    public var color: String?

    /// A series through the points `(x[i], y[i])`; the counts must match. The flags set the properties of the same meaning.
    public init(_ name: String, x: [Double], y: [Double], markers: Bool = false, marker: MarkerShape = .dot,
                line: Bool = true, diverged: Bool = false, dashed: Bool = false, color: String? = nil) {
        precondition(x.count == y.count,
                     "LineSeries \"\(name)\": \(x.count) x values but \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.showsMarkers = markers
        self.marker = marker
        self.showsLine = line
        self.isDiverged = diverged
        self.isDashed = dashed
        self.color = color
    }

    /// A series over 1, 2, 3, …, as for per-epoch values.
    public init(_ name: String, y: [Double], markers: Bool = false, marker: MarkerShape = .dot,
                line: Bool = true, diverged: Bool = false, dashed: Bool = false, color: String? = nil) {
        self.init(name, x: y.indices.map { Double($0 + 1) }, y: y, markers: markers, marker: marker,
                  line: line, diverged: diverged, dashed: dashed, color: color)
    }

    /// The legend text.
    public var legendName: String { isDiverged ? "\(name) (diverged)" : name }

    /// Whether every point gets a marker.
    var drawsMarkers: Bool { showsMarkers || !showsLine }
}

/// One axis of a chart: its label, scale, and optionally a fixed range.
public struct ChartAxis: Sendable, Equatable {
    /// The axis title.
    public var label: String
    /// Linear or logarithmic.
    public var scale: AxisScale
    /// Pins the axis to this range (e.g. `0...1` for accuracy); `nil` fits the data.
    /// Points outside a pinned range are clipped at the plot's edge.
    public var range: ClosedRange<Double>?

    /// An axis with the given label and scale, fitted to the data unless `range` is given.
    public init(_ label: String, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil) {
        self.label = label
        self.scale = scale
        self.range = range
    }
}

/// A line chart rendered as standalone SVG with no dependencies: title, labelled axes with
/// round ticks, linear or log scales, several series with a legend.
///
/// ```swift
/// var chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", yScale: .log10)
/// chart.add(LineSeries("train", y: trainLosses, markers: true))
/// chart.add(LineSeries("validation", y: valLosses, markers: true, dashed: true))
/// try chart.write(to: run.file("loss.svg"))
/// ```
public struct LineChart: SVGRenderable, Sendable {
    /// The heading above the plot.
    public var title: String
    /// The horizontal axis.
    public var xAxis: ChartAxis
    /// The vertical axis.
    public var yAxis: ChartAxis
    /// The curves, drawn and listed in the legend in this order.
    public var series: [LineSeries]
    /// The width in SVG units (pixels).
    public var width: Double
    /// The height in SVG units (pixels).
    public var height: Double

    /// A chart with the given title, axes and series, 720 × 450 by default.
    public init(title: String, xLabel: String, yLabel: String,
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                yRange: ClosedRange<Double>? = nil, series: [LineSeries] = [],
                width: Double = 720, height: Double = 450) {
        self.title = title
        self.xAxis = ChartAxis(xLabel, scale: xScale)
        self.yAxis = ChartAxis(yLabel, scale: yScale, range: yRange)
        self.series = series
        self.width = width
        self.height = height
    }

    /// Appends a series.
    public mutating func add(_ series: LineSeries) { self.series.append(series) }

    public var size: (width: Double, height: Double) { (width, height) }

    /// The ticks the axes will show. The x axis covers every x that can be placed, even where
    /// y is missing (a sweep's axis still reaches the diverged rates); the y axis covers
    /// the points that can be drawn.
    public var ticks: (x: AxisTicks, y: AxisTicks) {
        var xs: [Double] = [], ys: [Double] = []
        for s in series {
            for (x, y) in zip(s.x, s.y) where xAxis.scale.canPlot(x) {
                xs.append(x)
                if yAxis.scale.canPlot(y) { ys.append(y) }
            }
        }
        return (AxisTicks(covering: xs, scale: xAxis.scale, range: xAxis.range),
                AxisTicks(covering: ys, scale: yAxis.scale, range: yAxis.range))
    }

    public func elements(idPrefix: String) -> [String] {
        let (xTicks, yTicks) = ticks
        let xLabels = xTicks.major.map { compactNumber($0) }
        let yLabels = yTicks.major.map { compactNumber($0) }
        let tickFont = 12.0
        let widestYLabel = yLabels.map { SVG.textWidth($0, fontSize: tickFont) }.max() ?? 0
        let legendNames = series.map(\.legendName)
        let showsLegend = series.count > 1 || legendNames.contains { !$0.isEmpty }
        let legendWidth = showsLegend
            ? 44 + (legendNames.map { SVG.textWidth($0, fontSize: 12) }.max() ?? 0) : 0
        let plot = (left: 34 + widestYLabel, top: title.isEmpty ? 16.0 : 44,
                    right: width - 16 - legendWidth, bottom: height - 56)
        let plotWidth = Swift.max(plot.right - plot.left, 1), plotHeight = Swift.max(plot.bottom - plot.top, 1)
        func px(_ x: Double) -> Double { plot.left + xTicks.fraction(of: x) * plotWidth }
        func py(_ y: Double) -> Double { plot.bottom - yTicks.fraction(of: y) * plotHeight }

        var out: [String] = []
        if !title.isEmpty {
            // Centred over the plot, but never running off the left edge when a wide legend
            // leaves the plot narrower than the title.
            let centre = Swift.max((plot.left + plot.right) / 2, 8 + SVG.textWidth(title, fontSize: 16) / 2)
            out.append(SVG.text(title, x: centre, y: 26, size: 16, anchor: .middle, weight: "bold"))
        }
        // Grid first so the curves draw over it.
        // Minor grid lines help read a log axis, but over many decades they turn into a wash.
        if xTicks.minor.count <= 24 {
            for x in xTicks.minor { out.append(SVG.line(px(x), plot.top, px(x), plot.bottom, stroke: "#f0f0f0")) }
        }
        if yTicks.minor.count <= 24 {
            for y in yTicks.minor { out.append(SVG.line(plot.left, py(y), plot.right, py(y), stroke: "#f0f0f0")) }
        }
        for x in xTicks.major { out.append(SVG.line(px(x), plot.top, px(x), plot.bottom, stroke: "#dddddd")) }
        for y in yTicks.major { out.append(SVG.line(plot.left, py(y), plot.right, py(y), stroke: "#dddddd")) }
        out.append(SVG.rect(x: plot.left, y: plot.top, width: plotWidth, height: plotHeight,
                            fill: "none", stroke: "#444444"))
        for (x, label) in zip(xTicks.major, xLabels) {
            out.append(SVG.line(px(x), plot.bottom, px(x), plot.bottom + 5, stroke: "#444444"))
            out.append(SVG.text(label, x: px(x), y: plot.bottom + 19, size: tickFont, anchor: .middle))
        }
        for (y, label) in zip(yTicks.major, yLabels) {
            out.append(SVG.line(plot.left - 5, py(y), plot.left, py(y), stroke: "#444444"))
            out.append(SVG.text(label, x: plot.left - 8, y: py(y) + 4, size: tickFont, anchor: .end))
        }
        for x in xTicks.minor { out.append(SVG.line(px(x), plot.bottom, px(x), plot.bottom + 3, stroke: "#444444")) }
        for y in yTicks.minor { out.append(SVG.line(plot.left - 3, py(y), plot.left, py(y), stroke: "#444444")) }
        out.append(SVG.text(xAxis.label, x: (plot.left + plot.right) / 2, y: height - 14,
                            size: 13, anchor: .middle))
        out.append(SVG.text(yAxis.label, x: 16, y: (plot.top + plot.bottom) / 2, size: 13,
                            anchor: .middle, rotate: -90))

        // Curves, clipped to the plot so a pinned range cannot spill over the axes.
        let clip = "\(idPrefix)plot"
        out.append("<clipPath id=\"\(clip)\">"
                   + SVG.rect(x: plot.left - 4, y: plot.top - 4, width: plotWidth + 8, height: plotHeight + 8, fill: "white")
                   + "</clipPath>")
        out.append("<g clip-path=\"url(#\(clip))\" fill=\"none\" stroke-linejoin=\"round\" stroke-linecap=\"round\">")
        for (index, s) in series.enumerated() {
            let color = s.color ?? SVG.palette[index % SVG.palette.count]
            let dash = s.isDiverged ? " stroke-dasharray=\"7 4\"" : s.isDashed ? " stroke-dasharray=\"3 3\"" : ""
            let segments = plottableSegments(s)
            for segment in segments where s.showsLine && segment.count > 1 {
                let points = segment.map { "\(SVG.number(px($0.x))),\(SVG.number(py($0.y)))" }.joined(separator: " ")
                out.append("<polyline points=\"\(points)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>")
            }
            // A lone point has no line through it; a marker keeps it visible.
            for segment in segments where s.drawsMarkers || segment.count == 1 {
                for point in segment { out.append(markerElement(s.marker, x: px(point.x), y: py(point.y), color: color)) }
            }
            if s.isDiverged, let last = segments.last?.last {
                out.append(markerElement(.cross, x: px(last.x), y: py(last.y), color: color, radius: 5))
            }
        }
        out.append("</g>")

        if showsLegend {
            let left = plot.right + 16
            for (index, s) in series.enumerated() {
                let color = s.color ?? SVG.palette[index % SVG.palette.count]
                let y = plot.top + 10 + Double(index) * 20
                let dash = s.isDiverged ? "7 4" : s.isDashed ? "3 3" : nil
                if s.showsLine { out.append(SVG.line(left, y, left + 24, y, stroke: color, width: 2, dash: dash)) }
                if s.drawsMarkers { out.append(markerElement(s.marker, x: left + 12, y: y, color: color)) }
                out.append(SVG.text(s.legendName, x: left + 30, y: y + 4, size: 12))
            }
        }
        if series.allSatisfy({ plottableSegments($0).isEmpty }) {
            out.append(SVG.text("no finite values to plot", x: (plot.left + plot.right) / 2,
                                y: (plot.top + plot.bottom) / 2, size: 13, anchor: .middle, fill: "#888888"))
        }
        return out
    }

    /// A marker centred on (x, y): a dot of radius 3, or a cross reaching `radius` from its centre.
    private func markerElement(_ shape: MarkerShape, x: Double, y: Double, color: String, radius: Double = 4) -> String {
        switch shape {
        case .dot:
            return "<circle cx=\"\(SVG.number(x))\" cy=\"\(SVG.number(y))\" r=\"3\" fill=\"\(color)\" stroke=\"none\"/>"
        case .cross:
            let (l, r, t, b) = (SVG.number(x - radius), SVG.number(x + radius), SVG.number(y - radius), SVG.number(y + radius))
            return "<path d=\"M\(l) \(t)L\(r) \(b)M\(l) \(b)L\(r) \(t)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\"/>"
        }
    }

    /// The runs of consecutive points that can be drawn on these axes.
    private func plottableSegments(_ s: LineSeries) -> [[(x: Double, y: Double)]] {
        var segments: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        for (x, y) in zip(s.x, s.y) {
            if xAxis.scale.canPlot(x) && yAxis.scale.canPlot(y) {
                current.append((x, y))
            } else if !current.isEmpty {
                segments.append(current)
                current = []
            }
        }
        if !current.isEmpty { segments.append(current) }
        return segments
    }
}
