/// Training: datasets, data loading, the trainer and reports shared by both backends.
public enum Training {}
