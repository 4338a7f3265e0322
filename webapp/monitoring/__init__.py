"""Sampled monitoring waves (抽样调查): interviews weighted to the population, and their estimates."""
