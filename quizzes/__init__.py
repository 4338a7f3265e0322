"""The question bank, quiz definitions and the quiz engine (draw, score)."""
