-- The chain's four stores from the design document. Part of the schema baseline, so they
-- exist on every database from its first open (no store.created events are written for them).

INSERT INTO stores (id, name, address, city, country, phone, email, active, created_at, updated_at) VALUES
    ('MAD-001', 'Madrid Centro',             'Calle Gran Vía 1',       'Madrid',    'España', '+34 910 000 001', 'mad-001@tiendas.example', 1, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('BCN-001', 'Barcelona Plaza Catalunya', 'Plaça de Catalunya 1',   'Barcelona', 'España', '+34 930 000 001', 'bcn-001@tiendas.example', 1, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('VAL-001', 'Valencia Norte',            'Avenida de Valencia 1',  'Valencia',  'España', '+34 960 000 001', 'val-001@tiendas.example', 1, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z'),
    ('SEV-001', 'Sevilla Centro',            'Calle Sierpes 1',        'Sevilla',   'España', '+34 950 000 001', 'sev-001@tiendas.example', 1, '2025-10-26T00:00:00.000Z', '2025-10-26T00:00:00.000Z');
