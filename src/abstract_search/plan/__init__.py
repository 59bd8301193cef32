"""Plan: sessions from talks. `frame` (sizes, slots, constraints), `search` (the annealing walk),
`planner` (plan_sessions and comparisons) and `schedule` (programs and exports)."""
