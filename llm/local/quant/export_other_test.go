//go:build !amd64 || purego

package quant

func SetVNNI(on bool) bool { return false }

func SetRowGroups(on bool) {}
