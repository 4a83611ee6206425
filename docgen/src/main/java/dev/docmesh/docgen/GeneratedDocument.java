package dev.docmesh.docgen;

/** A generated PDF and what is in it. */
public record GeneratedDocument(byte[] pdf, GroundTruth truth) {}
