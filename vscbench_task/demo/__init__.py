"""The embedded default: a synthetic stand-in archive and a tiny random VLM, so the whole pipeline
(prepare -> lmms-eval -> scores) runs with no download and no GPU. Scores from it mean nothing."""
