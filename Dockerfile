# linkready in a container: docker build -t linkready . && docker run --rm -v "$PWD:/work" linkready demo
#
# ODBC drivers. linkready picks "ODBC Driver 18 for SQL Server", then 17, then FreeTDS (source.driver = "auto").
# FreeTDS from Debian is installed below and works for the read-only probe (TDS 7.4).
# To use Microsoft's driver instead (recommended for Entra ID authentication and strict TLS), add Microsoft's
# Debian 12 package repository and accept the EULA in this image, e.g.:
#   RUN apt-get update && apt-get install -y --no-install-recommends curl gnupg \
#    && curl -fsSL https://packages.microsoft.com/keys/microsoft.asc | gpg --dearmor -o /usr/share/keyrings/microsoft-prod.gpg \
#    && curl -fsSL https://packages.microsoft.com/config/debian/12/prod.list > /etc/apt/sources.list.d/mssql-release.list \
#    && apt-get update && ACCEPT_EULA=Y apt-get install -y --no-install-recommends msodbcsql18 \
#    && rm -rf /var/lib/apt/lists/*
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends tdsodbc unixodbc \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY linkready ./linkready
COPY checks ./checks
COPY reports ./reports
COPY profiles ./profiles
RUN pip install --no-cache-dir . && rm -rf /src

# Unprivileged: linkready only reads, and writes reports into the mounted working directory.
RUN useradd --create-home --uid 10001 linkready
USER linkready
WORKDIR /work
# Pipelines expect plain logs.
ENV NO_COLOR=1
ENTRYPOINT ["linkready"]
CMD ["--help"]
