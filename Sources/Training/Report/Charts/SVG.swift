import ArrayKit
import Foundation

/// The pieces every figure shares: escaping, coordinates, text and the standalone wrapper.
/// Figures build their markup from these so that every SVG this package writes is valid XML
/// with no `NaN` or `inf` in an attribute.
enum SVG {
    /// Text safe inside an element or a double-quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals. Non-finite values are a bug in the caller
    /// (points are filtered before this), so they are clamped rather than written as `NaN`.
    static func number(_ value: Double) -> String {
        let v = value.isFinite ? Swift.min(Swift.max(value, -1e6), 1e6) : 0
        var text = String(format: "%.2f", v)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// An approximate rendered width of `text`, for layout: sans-serif averages about
    /// 0.6 em per character.
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    enum Anchor: String { case start, middle, end }

    static func text(_ content: String, x: Double, y: Double, size: Double = 12,
                     anchor: Anchor = .start, weight: String? = nil, rotate: Double? = nil,
                     fill: String = "#222") -> String {
        var attributes = "x=\"\(number(x))\" y=\"\(number(y))\" font-size=\"\(number(size))\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let rotate { attributes += " transform=\"rotate(\(number(rotate)) \(number(x)) \(number(y)))\"" }
        if fill != "#222" { attributes += " fill=\"\(fill)\"" }
        return "<text \(attributes)>\(escape(content))</text>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                     stroke: String, width: Double = 1, dash: String? = nil) -> String {
        "<line x1=\"\(number(x1))\" y1=\"\(number(y1))\" x2=\"\(number(x2))\" y2=\"\(number(y2))\""
            + " stroke=\"\(stroke)\" stroke-width=\"\(number(width))\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>"
    }

    static func rect(x: Double, y: Double, width: Double, height: Double,
                     fill: String, stroke: String? = nil) -> String {
        "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(width))\" height=\"\(number(height))\""
            + " fill=\"\(fill)\"" + (stroke.map { " stroke=\"\($0)\"" } ?? "") + "/>"
    }

    /// Wraps a figure's elements in a standalone document with a white background.
    static func document(width: Double, height: Double, elements: [String]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += element(x: nil, y: nil, width: width, height: height, elements: elements)
        return out
    }

    /// An `<svg>` element; with `x`/`y` it is a panel nested inside another figure.
    static func element(x: Double?, y: Double?, width: Double, height: Double, elements: [String]) -> String {
        var open = "<svg xmlns=\"http://www.w3.org/2000/svg\""
        if let x, let y { open += " x=\"\(number(x))\" y=\"\(number(y))\"" }
        open += " width=\"\(number(width))\" height=\"\(number(height))\""
        open += " viewBox=\"0 0 \(number(width)) \(number(height))\""
        open += " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        let background = rect(x: 0, y: 0, width: width, height: height, fill: "white")
        return open + ([background] + elements).joined(separator: "\n") + "\n</svg>\n"
    }

    /// Ten colours that stay distinct from one another (Tableau 10).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
}

/// Anything that draws itself as an SVG panel; `Figure` lays several out on one page.
public protocol SVGRenderable {
    /// The panel's size in pixels.
    var size: (width: Double, height: Double) { get }
    /// The panel's markup, drawn in a `width × height` box; `idPrefix` keeps element ids
    /// unique when several panels share one document.
    func elements(idPrefix: String) -> [String]
}

extension SVGRenderable {
    /// The panel as a standalone SVG document.
    public func svg() -> String {
        SVG.document(width: size.width, height: size.height, elements: elements(idPrefix: "p"))
    }

    /// Writes the standalone document to `url`, complete or not at all.
    public func write(to url: URL) throws {
        try writeAtomically(Data(svg().utf8), to: url)
    }
}

/// Several panels on one page in a grid, e.g. loss and accuracy side by side.
///
/// ```swift
/// let figure = Figure([lossChart, accuracyChart], columns: 2)
/// try figure.write(to: run.file("comparison.svg"))
/// ```
public struct Figure: SVGRenderable {
    /// The charts, placed row by row.
    public var panels: [any SVGRenderable]
    /// Panels per row.
    public var columns: Int

    /// `panels` in rows of `columns` (positive), each cell as large as the largest panel.
    public init(_ panels: [any SVGRenderable], columns: Int = 2) {
        precondition(columns > 0, "Figure: columns must be positive, got \(columns)")
        self.panels = panels
        self.columns = columns
    }

    private var cell: (width: Double, height: Double) {
        (panels.map(\.size.width).max() ?? 0, panels.map(\.size.height).max() ?? 0)
    }

    public var size: (width: Double, height: Double) {
        let rows = (panels.count + columns - 1) / columns
        return (cell.width * Double(Swift.min(columns, panels.count)), cell.height * Double(rows))
    }

    public func elements(idPrefix: String) -> [String] {
        panels.enumerated().map { index, panel in
            let x = Double(index % columns) * cell.width, y = Double(index / columns) * cell.height
            return SVG.element(x: x, y: y, width: panel.size.width, height: panel.size.height,
                               elements: panel.elements(idPrefix: "\(idPrefix)\(index)-"))
        }
    }
}
