-- The operators schools may choose ("Fournisseur de services"), managed by the académie: each entry
-- names one of the dialects the platform speaks (a new dialect needs code, a new operator of a
-- known dialect does not), its API base URL and the contacts shown to schools. The operator
-- simulator is not listed here: the service offers it itself where the profile allows it.
CREATE TABLE operators (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,29}$'),
    name       text        NOT NULL,
    dialect    text        NOT NULL,
    base_url   text        NOT NULL,
    email      text,
    phone      text,
    website    text,
    retired_at timestamptz,
    retired_by text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The seed's three certified operators, with its contacts (PLURIWARE's offer is eplesms.fr).
INSERT INTO operators (code, name, dialect, base_url, email, phone, website) VALUES
    ('DIGITALEO', 'DIGITALEO', 'digitaleo', 'https://api.digitaleo.com',
     'sconet@digitaleo.com', '02 56 036 700', 'http://www.digitaleo.com'),
    ('PLURIWARE', 'PLURIWARE', 'pluriware', 'https://www.eplesms.fr',
     'contact@eplesms.fr', '03 25 78 41 64', 'http://www.eplesms.fr'),
    ('ENVOYERSMSPRO', 'Envoyer SMS Pro', 'envoyersmspro', 'https://www.envoyersmspro.com',
     'contact@envoyersmspro.com', '04 13 41 52 80', 'http://www.envoyersmspro.com');

-- What the académie changed outside any one school (the operator catalog): who, when, what.
CREATE TABLE academie_audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text        NOT NULL,
    action  text        NOT NULL,
    details jsonb       NOT NULL DEFAULT '{}'::jsonb
);
