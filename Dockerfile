# fwemu on Debian bookworm: the same set-up script and tests as CI.
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends sudo ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src/fwemu
COPY . .
RUN ./scripts/setup.sh && ./scripts/build.sh
CMD ["./scripts/test.sh"]
