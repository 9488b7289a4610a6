# A minimal image: the static (musl) binary alone. `docker build -t preflight .`, then
# `docker run --rm -v "$PWD:/work" -w /work preflight validate .`
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM scratch
COPY --from=build /src/target/release/preflight /preflight
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENTRYPOINT ["/preflight"]
