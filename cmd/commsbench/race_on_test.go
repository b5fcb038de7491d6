//go:build race

package main

// raceDetector says the race detector is on: it slows every process of
// a timed comparison several times over, unevenly.
const raceDetector = true
