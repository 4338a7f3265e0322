"""Key-population training: units and rosters, courses with exams, certificates, the training rate."""
