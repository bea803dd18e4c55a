import TrainingCLI

// Options, validation and the evaluation itself live in TrainingCLI, where tests drive them.
EvaluateModel.mainWithNormalizedArguments()
