import Foundation

/// How values map onto a chart axis.
///
/// ```swift
/// var chart = LineChart(title: "Best validation accuracy", xLabel: "learning rate",
///                       yLabel: "accuracy", xScale: .log10)
/// ```
public enum AxisScale: String, Sendable, Codable {
    /// Values placed in proportion to their size.
    case linear
    /// Base-10 logarithmic; values that are not positive cannot be drawn and are cut.
    case log10

    /// Whether `value` can be placed on an axis of this scale.
    @inlinable
    public func canPlot(_ value: Double) -> Bool {
        value.isFinite && (self == .linear || value > 0)
    }
}

/// The range an axis spans and the round values where its ticks go.
///
/// Ranges are widened to the enclosing round values ("loose" labelling), so the first and
/// last tick sit on the ends of the axis and every label is a short number.
///
/// ```swift
/// let ticks = AxisTicks(covering: [0.27, 2.31])   // 0, 0.5, 1, 1.5, 2, 2.5
/// let ticksLog = AxisTicks(covering: [1e-6, 100], scale: .log10)   // 1e-6, 1e-5, …, 100
/// ```
public struct AxisTicks: Sendable, Equatable {
    /// The value at the start of the axis.
    public var lower: Double
    /// The value at the end of the axis.
    public var upper: Double
    /// Labelled tick values, ascending, all within `lower...upper`.
    public var major: [Double]
    /// Unlabelled tick values (log axes only: the 2…9 multiples between decades).
    public var minor: [Double]
    /// The axis's scale.
    public var scale: AxisScale

    /// Ticks for an axis showing `values` (non-plottable values are ignored). With `range`
    /// the axis spans exactly that range instead, with round ticks inside it.
    /// On a linear axis where every value is a whole number (epochs), the step is at least 1
    /// so that no tick falls between two of them.
    public init(covering values: [Double], scale: AxisScale = .linear,
                range: ClosedRange<Double>? = nil, targetCount: Int = 6) {
        self.scale = scale
        let plottable = values.filter(scale.canPlot)
        var low = range?.lowerBound ?? plottable.min() ?? (scale == .log10 ? 0.1 : 0)
        var high = range?.upperBound ?? plottable.max() ?? 1
        if scale == .log10 && !(low > 0 && high > 0) { (low, high) = (0.1, 1) }
        switch scale {
        case .linear:
            let integral = !plottable.isEmpty && plottable.allSatisfy { $0 == $0.rounded() }
            (lower, upper, major, minor) = Self.linear(low, high, targetCount, fixed: range != nil,
                                                       minimumStep: integral ? 1 : 0)
        case .log10: (lower, upper, major, minor) = Self.logarithmic(low, high, fixed: range != nil)
        }
    }

    /// Where `value` falls along the axis, from 0 at `lower` to 1 at `upper`.
    public func fraction(of value: Double) -> Double {
        switch scale {
        case .linear: return (value - lower) / (upper - lower)
        case .log10: return (Foundation.log10(value) - Foundation.log10(lower))
            / (Foundation.log10(upper) - Foundation.log10(lower))
        }
    }

    // MARK: - Linear

    private static func linear(_ low: Double, _ high: Double, _ targetCount: Int, fixed: Bool,
                               minimumStep: Double) -> (Double, Double, [Double], [Double]) {
        var (lo, hi) = (Swift.min(low, high), Swift.max(low, high))
        if hi - lo <= 1e-12 * Swift.max(abs(lo), abs(hi), 1e-300) {
            // A flat series still needs an axis with some extent around it.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            (lo, hi) = (lo - pad, hi + pad)
        }
        let step = NiceStep(atLeast: Swift.max((hi - lo) / Double(Swift.max(targetCount - 1, 1)), minimumStep))
        // The tolerance keeps 0.30000000000000004 from counting as past 0.3.
        let first = Int(fixed ? (lo / step.value - 1e-9).rounded(.up) : (lo / step.value + 1e-9).rounded(.down))
        let last = Int(fixed ? (hi / step.value + 1e-9).rounded(.down) : (hi / step.value - 1e-9).rounded(.up))
        let ticks = first <= last ? (first...last).map(step.multiple) : []
        return fixed ? (lo, hi, ticks, []) : (step.multiple(first), step.multiple(last), ticks, [])
    }

    // MARK: - Logarithmic

    private static func logarithmic(_ low: Double, _ high: Double, fixed: Bool)
        -> (Double, Double, [Double], [Double]) {
        var (lo, hi) = (Swift.min(low, high), Swift.max(low, high))
        if hi / lo < 1.000001 { (lo, hi) = (lo / 2, hi * 2) }
        let firstDecade = Int((Foundation.log10(lo) + 1e-9).rounded(.down))
        var lastDecade = Int((Foundation.log10(hi) - 1e-9).rounded(.up))
        if lastDecade - firstDecade <= 2 {
            // Within two decades, decades alone give too few labels: use 1, 2, 5 steps.
            let grid = (firstDecade...lastDecade).flatMap { e in [1.0, 2, 5].map { decimal($0, e) } }
                + [decimal(1, lastDecade + 1)]
            let axisLow = fixed ? lo : grid.last(where: { $0 <= lo * (1 + 1e-9) }) ?? lo
            let axisHigh = fixed ? hi : grid.first(where: { $0 >= hi * (1 - 1e-9) }) ?? hi
            let major = grid.filter { $0 >= axisLow * (1 - 1e-9) && $0 <= axisHigh * (1 + 1e-9) }
            let minor = (firstDecade...lastDecade).flatMap { e in [3.0, 4, 6, 7, 8, 9].map { decimal($0, e) } }
                .filter { $0 > axisLow && $0 < axisHigh }
            return (axisLow, axisHigh, major, minor)
        }
        // Many decades: label every decade, or every k-th so that about eight labels fit.
        let stride = Swift.max(1, Int((Double(lastDecade - firstDecade) / 8).rounded(.up)))
        if !fixed { lastDecade = firstDecade + Int((Double(lastDecade - firstDecade) / Double(stride)).rounded(.up)) * stride }
        let axisLow = fixed ? lo : decimal(1, firstDecade)
        let axisHigh = fixed ? hi : decimal(1, lastDecade)
        let decades = Array(Swift.stride(from: firstDecade, through: lastDecade, by: stride))
        let major = decades.map { decimal(1, $0) }.filter { $0 >= axisLow * (1 - 1e-9) && $0 <= axisHigh * (1 + 1e-9) }
        var minor: [Double] = []
        if stride == 1 && lastDecade - firstDecade <= 6 {
            minor = (firstDecade...lastDecade).flatMap { e in (2...9).map { decimal(Double($0), e) } }
        } else if stride > 1 {
            minor = (firstDecade...lastDecade).filter { ($0 - firstDecade) % stride != 0 }.map { decimal(1, $0) }
        }
        return (axisLow, axisHigh, major, minor.filter { $0 > axisLow && $0 < axisHigh })
    }
}

/// `mantissa × 10^exponent`, computed so that small decimals come out as the nearest
/// double (0.3, not 0.30000000000000004).
func decimal(_ mantissa: Double, _ exponent: Int) -> Double {
    exponent >= 0 ? mantissa * pow(10, Double(exponent)) : mantissa / pow(10, Double(-exponent))
}

/// A step of 1, 2 or 5 times a power of ten.
private struct NiceStep {
    let mantissa: Double
    let exponent: Int
    var value: Double { decimal(mantissa, exponent) }

    /// The smallest nice step that is at least `raw`.
    init(atLeast raw: Double) {
        var e = Int(Foundation.log10(raw).rounded(.down))
        let m = raw / decimal(1, e)
        if m <= 1 + 1e-9 { mantissa = 1 } else if m <= 2 + 1e-9 { mantissa = 2 }
        else if m <= 5 + 1e-9 { mantissa = 5 } else { mantissa = 1; e += 1 }
        exponent = e
    }

    func multiple(_ k: Int) -> Double { decimal(Double(k) * mantissa, exponent) }
}

/// A short label for a number: trailing zeros dropped, scientific notation without padding
/// for very small or large magnitudes, so ticks read `1e-6`, `0.001`, `0.25`, `100`, `1e6`.
///
/// ```swift
/// compactNumber(0.001)      // "0.001"
/// compactNumber(1e-6)       // "1e-6"
/// compactNumber(0.1 * 3)    // "0.3"
/// compactNumber(.nan)       // "NaN"
/// ```
public func compactNumber(_ value: Double, significantDigits: Int = 6) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf") }
    if value == 0 { return "0" }
    let digits = Swift.max(1, significantDigits)
    // Round first: rounding can carry into the next power of ten (9.9999996 → 10).
    let rounded = Double(String(format: "%.\(digits - 1)e", value)) ?? value
    let exponent = Int(Foundation.log10(abs(rounded)).rounded(.down))
    if exponent < -3 || exponent >= 6 {
        let mantissa = rounded / decimal(1, exponent)
        return "\(trimmed(String(format: "%.\(digits - 1)f", mantissa)))e\(exponent)"
    }
    let decimals = Swift.max(0, digits - 1 - exponent)
    let text = trimmed(String(format: "%.\(decimals)f", rounded))
    return text == "-0" ? "0" : text
}

/// Drops trailing zeros after a decimal point, and the point itself if nothing follows it.
private func trimmed(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var t = Substring(text)
    while t.hasSuffix("0") { t = t.dropLast() }
    if t.hasSuffix(".") { t = t.dropLast() }
    return String(t)
}
