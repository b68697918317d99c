// `types_only`, `client_only` and `server_only` exclude one another, and no option is given
// twice: the error is on the second one and names both.
mod conflict {
    tars::include_tars!("x.tars", types_only, with_tars, client_only);
}

mod twice {
    tars::include_tars!("x.tars", server_only, server_only);
}

fn main() {}
