DROP TABLE review_comments;
