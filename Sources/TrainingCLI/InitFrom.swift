import ArrayKit
import Foundation
import Training

/// `--init-from FILE` rebuilds the model the file describes (its `backprop.architecture`):
/// options left out take the file's values, options given must agree with them.
extension ExperimentOptions {
    /// The architecture `--init-from`'s file records; `nil` without `--init-from` or for a
    /// file without it (from PyTorch), whose shapes the options must then give.
    func initialArchitecture() throws -> ModelArchitecture? {
        guard let initFrom else { return nil }
        do {
            return try ModelDescription(metadata: Safetensors.read(contentsOf: URL(fileURLWithPath: initFrom)).metadata).architecture
        } catch {
            throw ExperimentError(description: "--init-from \(initFrom): \(error)")
        }
    }

    /// Adopts the architecture `--init-from`'s file records, if any (see ``adopt(_:command:batchNormAndDropout:)``).
    mutating func adoptInitialArchitecture(command: String, batchNormAndDropout: Bool = false) throws {
        if let architecture = try initialArchitecture() {
            try adopt(architecture, command: command, batchNormAndDropout: batchNormAndDropout)
        }
    }

    /// Takes the hidden widths of `architecture` unless `--hidden-dims` or `--no-hidden` was
    /// given; given ones that differ are an error. `command` builds ReLU MLPs, with batch norm
    /// and dropout only if `batchNormAndDropout`.
    mutating func adopt(_ architecture: ModelArchitecture, command: String, batchNormAndDropout: Bool) throws {
        let file = "--init-from \(initFrom ?? "")"
        guard architecture.hiddenActivation == .relu else {
            throw ExperimentError(description: "\(file) holds a \(architecture.summary) model; \(command) builds ReLU MLPs only — "
                + "load it with AutoGrad's MLP in Swift instead")
        }
        if !batchNormAndDropout && (architecture.batchNorm || architecture.dropout > 0) {
            throw ExperimentError(description: "\(file) holds a \(architecture.summary) model; \(command) has no batch norm "
                + "or dropout — continue it with train-autograd --init-from")
        }
        if hiddenWidthsGiven && hiddenWidths != architecture.hidden {
            let given = hiddenWidths.isEmpty ? "--no-hidden" : "--hidden-dims " + hiddenWidths.map(String.init).joined(separator: " ")
            let files = architecture.hidden.isEmpty ? "--no-hidden" : "--hidden-dims " + architecture.hidden.map(String.init).joined(separator: " ")
            throw ExperimentError(description: "\(given) conflicts with \(file), which holds a \(architecture.summary) model — "
                + "leave \(given.split(separator: " ")[0]) out to rebuild the file's model, or give its \(files)")
        }
        hiddenDims = architecture.hidden
        noHidden = architecture.hidden.isEmpty
    }
}

extension AutoGradOptions {
    /// Takes batch norm and dropout from `architecture` unless given; given ones that differ
    /// are an error.
    mutating func adopt(_ architecture: ModelArchitecture, file: String) throws {
        if batchNorm && !architecture.batchNorm {
            throw ExperimentError(description: "--batch-norm conflicts with --init-from \(file), which holds a \(architecture.summary) "
                + "model without batch norm — leave --batch-norm out")
        }
        if let givenDropout, givenDropout != architecture.dropout {
            throw ExperimentError(description: "--dropout \(compactText(givenDropout)) conflicts with --init-from \(file), which holds a "
                + "\(architecture.summary) model — leave --dropout out to keep the file's \(compactText(architecture.dropout))")
        }
        batchNorm = architecture.batchNorm
        givenDropout = architecture.dropout
    }
}
