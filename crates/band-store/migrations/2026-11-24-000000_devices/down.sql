DROP TABLE audit;
DROP TABLE devices;
