module bulwark.dev/bulwark

go 1.26.0

require (
	github.com/google/flatbuffers v2.0.8+incompatible
	github.com/google/subcommands v1.2.0
	github.com/mohae/deepcopy v0.0.0-20170929034955-c48cc78d4826
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.49.0
)
