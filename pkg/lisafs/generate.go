package lisafs

//go:generate ./gen.sh
