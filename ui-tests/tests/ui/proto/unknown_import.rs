// An import that resolves nowhere (beside the file, the include directories, the
// well-known types): the error names it.
mod pb {
    tars::include_proto!("unknown_import.proto");
}

fn main() {}
